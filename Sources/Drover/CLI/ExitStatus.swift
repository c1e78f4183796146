import ArgumentParser

/// Exit statuses are API (sysexits.h), so scripts and systemd units can act on them.
public enum ExitStatus {
    /// The operation was refused or found nothing (cancel a finished job, unknown id).
    public static let failure: Int32 = 1
    /// EX_USAGE: bad flags or input.
    public static let usage: Int32 = 64
    /// EX_UNAVAILABLE: Redis could not be reached.
    public static let unavailable: Int32 = 69
    /// EX_TEMPFAIL: an enqueue was sent but no reply came, even after a retry: the job may or may
    /// not have been written (its id is in the message). Unlike 69, enqueueing again with a
    /// new id can make a second copy: check the id (`drover status ID`), or enqueue again with
    /// `--id ID`, which returns the job if it was written.
    public static let outcomeUnknown: Int32 = 75
    /// EX_CONFIG: the configuration is invalid (`RestartPreventExitStatus=78` in the unit).
    public static let config: Int32 = 78
}
