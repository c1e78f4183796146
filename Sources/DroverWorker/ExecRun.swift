import Synchronization
import Foundation
import DroverSystem

/// One run of an admin-configured program for an exec job: argv only (no shell), the job's
/// arguments on stdin, stdout collected, stderr's tail kept, in a process group of its own so
/// that a cancel reaches what it started, and under a reaper of its own (``ContainedSpawn``) so
/// that nothing it started outlives the run, even a process that left the group.
struct ExecRun {
    /// How the program ended.
    struct Ending {
        var status: WaitStatus
        var stdout: [UInt8]
        var stderrTail: [UInt8]
        var stoppedByUs: Bool
    }

    /// The most stderr kept (the end of it, where the error usually is).
    static let stderrLimit = 16 * 1024
    /// The most stdout read: a result is meant to be JSON, not a data transfer.
    static let stdoutLimit = 16 * 1024 * 1024

    /// The worker's environment without Drover's own settings and secrets (`REDIS_*`,
    /// redis-cli's `REDISCLI_*`, `DROVER_*`, systemd's notify and watchdog variables): the
    /// program gets what the admin set for the service, not the keys to its Redis.
    static func programEnvironment(from environment: [String: String]) -> [String: String] {
        environment.filter { key, _ in
            !key.hasPrefix("REDIS_") && !key.hasPrefix("REDISCLI_") && !key.hasPrefix("DROVER_") && key != "NOTIFY_SOCKET"
                && !key.hasPrefix("WATCHDOG_")
        }
    }

    let argv: [String]
    let input: [UInt8]
    /// After a cancel, how long the program gets between TERM and KILL.
    var termGrace: Duration = .seconds(2)

    /// Runs the program to its end; `isCancelled` is asked every 50 ms.
    func run(isCancelled: () -> Bool) throws(SystemError) -> Ending {
        let stdin = try Pipe(nonBlockingWrite: true)
        let stdout = try Pipe(nonBlockingRead: true)
        let stderr = try Pipe(nonBlockingRead: true)
        let spawn = ContainedSpawn(path: argv[0], arguments: argv,
                                   environment: Self.programEnvironment(from: ProcessInfo.processInfo.environment),
                                   standardInput: stdin.readEnd, standardOutput: stdout.writeEnd, standardError: stderr.writeEnd)
        let started = try spawn.run()
        // Signals go to the program's group; the reaper's exit is the run's end (the program's
        // status, once everything it started is gone).
        let pid = started.program
        let reaper = started.reaper
        ExecPrograms.started(pid)
        defer { ExecPrograms.ended(pid) }
        try stdin.readEnd.close()
        try stdout.writeEnd.close()
        try stderr.writeEnd.close()

        var out: [UInt8] = []
        var err: [UInt8] = []
        var written = 0
        var stdinOpen = true
        var outOpen = true
        var errOpen = true
        var termSentAt: MonotonicClock.Instant?
        var killed = false
        if input.isEmpty { try stdin.writeEnd.close(); stdinOpen = false }

        // Until the program itself exits, not until its output closes: a program may close
        // stdout and stderr and go on (reading the rest of its stdin, or sleeping), and it must
        // still get its input and still be stopped by a cancel or soft limit.
        // A pidfd wakes the loop the moment the program exits (its output closes a little
        // earlier); without one (kernels before 5.3) the loop looks every few milliseconds once
        // the pipes are closed.
        let exitWatch = Posix.processExitDescriptor(reaper)
        defer { try? exitWatch?.close() }
        var status: WaitStatus?
        while status == nil {
            var poller = Poller()
            if outOpen { poller.add(stdout.readEnd) }
            if errOpen { poller.add(stderr.readEnd) }
            if stdinOpen { poller.add(stdin.writeEnd, events: .writable) }
            if let exitWatch { poller.add(exitWatch) }
            let quiet = !outOpen && !errOpen && !stdinOpen && exitWatch == nil
            let ready = try poller.poll(timeoutMilliseconds: quiet ? 2 : 50)
            for event in ready {
                if stdinOpen, event.descriptor == stdin.writeEnd.rawValue {
                    do throws(SystemError) {
                        if let n = try stdin.writeEnd.write(Array(input[written...])) { written += n }
                        if written >= input.count { try stdin.writeEnd.close(); stdinOpen = false }
                    } catch {
                        // The program closed its stdin without reading it all: its choice.
                        try? stdin.writeEnd.close()
                        stdinOpen = false
                    }
                } else if outOpen, event.descriptor == stdout.readEnd.rawValue {
                    outOpen = try drain(stdout.readEnd, into: &out, keepTail: false, limit: Self.stdoutLimit)
                } else if errOpen, event.descriptor == stderr.readEnd.rawValue {
                    errOpen = try drain(stderr.readEnd, into: &err, keepTail: true, limit: Self.stderrLimit)
                }
            }
            if isCancelled() {
                if termSentAt == nil {
                    termSentAt = MonotonicClock.now()
                    try? Posix.killProcessGroup(pid, .term)
                } else if !killed, let sent = termSentAt, sent.duration(to: MonotonicClock.now()) > termGrace {
                    killed = true
                    try? Posix.killProcessGroup(pid, .kill)
                }
            }
            status = try Posix.tryWait(reaper)
        }
        if stdinOpen { try? stdin.writeEnd.close() }
        // The reaper killed whatever the program started and left behind (the group's KILL is
        // for a kernel without /proc); then what it wrote before it exited is read to the end
        // (every writer is gone, so the pipes reach end of file).
        try? Posix.killProcessGroup(pid, .kill)
        var rounds = 0
        while (outOpen || errOpen) && rounds < 20 {
            rounds += 1
            var poller = Poller()
            if outOpen { poller.add(stdout.readEnd) }
            if errOpen { poller.add(stderr.readEnd) }
            for event in try poller.poll(timeoutMilliseconds: 50) {
                if outOpen, event.descriptor == stdout.readEnd.rawValue {
                    outOpen = try drain(stdout.readEnd, into: &out, keepTail: false, limit: Self.stdoutLimit)
                } else if errOpen, event.descriptor == stderr.readEnd.rawValue {
                    errOpen = try drain(stderr.readEnd, into: &err, keepTail: true, limit: Self.stderrLimit)
                }
            }
        }
        return Ending(status: status!, stdout: out, stderrTail: err, stoppedByUs: termSentAt != nil)
    }

    /// Reads what is there; returns false at end of file.
    private func drain(_ fd: FileDescriptor, into buffer: inout [UInt8], keepTail: Bool, limit: Int) throws(SystemError) -> Bool {
        while true {
            switch try fd.read(into: &buffer, maxCount: 65536) {
            case .read:
                if buffer.count > limit {
                    if keepTail { buffer.removeFirst(buffer.count - limit) } else { buffer.removeLast(buffer.count - limit) }
                }
            case .wouldBlock:
                return true
            case .endOfFile:
                return false
            }
        }
    }
}

/// Tells whoever supervises this worker process about the exec programs it runs, so that they
/// can be stopped if the worker dies first (a supervised child reports them to its master).
public enum ExecPrograms {
    /// Called with (program pid, true) when one starts and (pid, false) when it has ended.
    public static let observer = Mutex<(@Sendable (ProcessID, Bool) -> Void)?>(nil)

    /// The programs running now, each the leader of its own process group.
    private static let running = Mutex<Set<ProcessID>>([])

    static func started(_ pid: ProcessID) {
        running.withLock { _ = $0.insert(pid) }
        observer.withLock { $0 }?(pid, true)
    }

    static func ended(_ pid: ProcessID) {
        running.withLock { _ = $0.remove(pid) }
        observer.withLock { $0 }?(pid, false)
    }

    /// Kills the process group of every program running now: this process is about to end in
    /// the middle of a run (its lease ran out), and no program of that run may outlive it.
    static func killAll() {
        for pid in running.withLock({ $0 }) { try? Posix.killProcessGroup(pid, .kill) }
    }
}
