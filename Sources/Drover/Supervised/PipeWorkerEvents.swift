import DroverCore
import DroverSupervisor
import DroverSystem
import DroverWorker
import Synchronization

/// A supervised worker's events, sent as ``ChildMessage`` lines to the master through its
/// ``MasterChannel`` (which decides which lines wake the master at once).
final class PipeWorkerEvents: WorkerEvents {
    let channel: MasterChannel
    /// The worker's `maxJobs`: after that many `end` lines it says `bye`, so the master forks
    /// the replacement while this process is still shutting down.
    let maxJobs: Int?
    private let ended = Atomic<Int>(0)

    init(channel: MasterChannel, maxJobs: Int?) {
        self.channel = channel
        self.maxJobs = maxJobs
    }

    func jobStarted(id: JobID, lease: Int, softTimeLimit: Duration?, timeLimit: Duration?, retryAfterTimeLimit: Duration?) {
        channel.send(.started(id: id, lease: lease, softMilliseconds: softTimeLimit?.milliseconds,
                              hardMilliseconds: timeLimit?.milliseconds, at: MonotonicClock.now(),
                              retryAfterTimeLimit: timeLimit == nil ? nil : retryAfterTimeLimit?.milliseconds ?? ChildMessage.noRetry))
    }

    func jobEnded(id: JobID) {
        channel.send(.ended(id: id))
        let count = ended.add(1, ordering: .relaxed).newValue
        if let maxJobs, count == maxJobs { channel.send(.leaving) }
    }

    func heartbeat() { channel.send(.beat) }

    func fetching(clock: Int64) { channel.send(.fetching(clock: clock)) }

    /// An exec program started (or ended) in its own process group.
    func program(_ pid: ProcessID, running: Bool) {
        channel.send(running ? .program(pid) : .programEnded(pid))
    }
}
