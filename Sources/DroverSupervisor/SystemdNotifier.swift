import CSystemd
import DroverSystem

/// Talks to systemd through libsystemd's `sd_notify(3)`: a no-op returning 0 when
/// `NOTIFY_SOCKET` is unset, so the master calls it unconditionally.
///
/// `sd_notifyf` is variadic and cannot be called from Swift (docs/platform.md): messages are built
/// here as strings.
struct SystemdNotifier {
    /// Half of `WATCHDOG_USEC`, as sd_watchdog_enabled(3) recommends; nil when the unit has no
    /// watchdog or `WATCHDOG_PID` names another process.
    let watchdogInterval: Duration?

    init(environment: [String: String], pid: ProcessID) {
        if let text = environment["WATCHDOG_USEC"], let usec = Int64(text), usec > 0,
           environment["WATCHDOG_PID"].map({ $0 == pid.description }) ?? true {
            watchdogInterval = .microseconds(usec / 2)
        } else {
            watchdogInterval = nil
        }
    }

    /// Sends one message of `KEY=VALUE` lines.
    /// - Returns: whether it was sent (false without `NOTIFY_SOCKET`, or on error).
    @discardableResult
    func send(_ lines: String...) -> Bool {
        sd_notify(0, lines.joined(separator: "\n")) > 0
    }
}
