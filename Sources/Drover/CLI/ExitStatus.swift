import ArgumentParser

/// Exit statuses are API (sysexits.h), so scripts and systemd units can act on them.
public enum ExitStatus {
    /// The operation was refused or found nothing (cancel a finished job, unknown id).
    public static let failure: Int32 = 1
    /// EX_USAGE: bad flags or input.
    public static let usage: Int32 = 64
    /// EX_UNAVAILABLE: Redis could not be reached.
    public static let unavailable: Int32 = 69
    /// EX_CONFIG: the configuration is invalid (`RestartPreventExitStatus=78` in the unit).
    public static let config: Int32 = 78
}
