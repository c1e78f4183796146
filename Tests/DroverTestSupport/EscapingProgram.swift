import DroverSystem
import Foundation

/// An exec program that starts grandchildren which leave its session and process group
/// (`setsid`), as a daemonizing tool does, and records its own pid and theirs: one a child of
/// the program, one orphaned at once (its parent exits), so a worker that only kills the
/// program's group, or a program that only dies with its parent, leaves both running.
public enum EscapingProgram {
    /// The script: `escape.sh PIDFILE end` prints `{}` and exits once both grandchildren are up;
    /// `escape.sh PIDFILE wait` stays (a sleep) until it is stopped.
    public static let script = """
        #!/bin/sh
        echo $$ >> "$1"
        setsid sh -c 'echo $$ >> "$1"; exec sleep 1000' sh "$1" </dev/null >/dev/null 2>&1 &
        (setsid sh -c 'echo $$ >> "$1"; exec sleep 1000' sh "$1" </dev/null >/dev/null 2>&1 &)
        while [ "$(cat "$1" 2>/dev/null | wc -l)" -lt 3 ]; do sleep 0.01; done
        if [ "$2" = end ]; then echo '{}'; exit 0; fi
        exec sleep 1000

        """

    /// Writes the script into `directory`; returns its path.
    public static func install(in directory: String) throws -> String {
        let path = directory + "/escape.sh"
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        return path
    }

    /// Waits until the program has written its pid and both grandchildren's.
    public static func grandchildren(in pidFile: String, timeout: Duration = .seconds(10)) throws -> [ProcessID] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let pids = ((try? String(contentsOfFile: pidFile, encoding: .utf8)) ?? "")
                .split(whereSeparator: \.isNewline).compactMap { pid_t($0) }.map { ProcessID($0) }
            if pids.count >= 3 { return pids }
            if ContinuousClock.now > deadline { throw TestFixtureError("\(pidFile) has \(pids.count) pids after \(timeout)") }
            usleep(5000)
        }
    }

    /// The pids among `pids` still running after `timeout` (a zombie counts as ended). Those
    /// still running are killed, so a failing test leaves nothing behind.
    public static func survivors(of pids: [ProcessID], timeout: Duration = .seconds(5)) -> [ProcessID] {
        let deadline = ContinuousClock.now + timeout
        var running = pids
        while true {
            running = running.filter(isRunning)
            if running.isEmpty || ContinuousClock.now > deadline { break }
            usleep(5000)
        }
        for pid in running { _ = Glibc.kill(pid.rawValue, SIGKILL) }
        return running
    }

    static func isRunning(_ pid: ProcessID) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return stat[close...].dropFirst(2).first != "Z"
    }
}
