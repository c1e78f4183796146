import DroverCore
import DroverSupervisor
import DroverSystem
import DroverWorker
import Synchronization

/// A supervised worker's events, written as ``ChildMessage`` lines to its pipe to the master.
///
/// Each line is far below `PIPE_BUF`, so one `write(2)` puts it in the pipe whole. Errors are
/// ignored: a closed pipe means the master is gone, and `PR_SET_PDEATHSIG` ends this process.
final class PipeWorkerEvents: WorkerEvents {
    let pipe: FileDescriptor
    /// The worker's `maxJobs`: after that many `end` lines it says `bye`, so the master forks
    /// the replacement while this process is still shutting down.
    let maxJobs: Int?
    private let ended = Atomic<Int>(0)

    init(pipe: FileDescriptor, maxJobs: Int?) {
        self.pipe = pipe
        self.maxJobs = maxJobs
    }

    func jobStarted(id: JobID, lease: Int, softTimeLimit: Duration?, timeLimit: Duration?) {
        send(.started(id: id, lease: lease, softMilliseconds: softTimeLimit.map(Self.milliseconds),
                      hardMilliseconds: timeLimit.map(Self.milliseconds)))
    }

    func jobEnded(id: JobID) {
        send(.ended(id: id))
        let count = ended.add(1, ordering: .relaxed).newValue
        if let maxJobs, count == maxJobs { send(.leaving) }
    }

    func heartbeat() { send(.beat) }

    /// An exec program started (or ended) in its own process group.
    func program(_ pid: ProcessID, running: Bool) {
        send(running ? .program(pid) : .programEnded(pid))
    }

    private func send(_ message: ChildMessage) {
        try? pipe.writeAll(message.line)
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
