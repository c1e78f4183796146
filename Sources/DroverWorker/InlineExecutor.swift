import Foundation

/// A task executor that runs its jobs on the thread that calls `run(until:)`: the worker's loop
/// and each job's handler Task prefer it, so a job costs no hand-off between threads.
///
/// Why: with Swift's global executor, each job's Task started on one cooperative thread and
/// resumed the loop on the other; on this VM a cross-thread wake-up costs tens of µs (idle vCPUs
/// are slow to wake, docs/platform.md), which made a no-op job's cost mostly scheduler time. A handler
/// that awaits I/O or sleeps still suspends normally: its continuation comes back here.
final class InlineExecutor: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [UnownedJob] = []
    private var finished = false

    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        condition.lock()
        queue.append(unowned)
        condition.signal()
        condition.unlock()
    }

    /// Runs jobs on the calling thread until `stop()`.
    func run() {
        while true {
            condition.lock()
            while queue.isEmpty && !finished { condition.wait() }
            if queue.isEmpty && finished {
                condition.unlock()
                return
            }
            let batch = queue
            queue.removeAll(keepingCapacity: true)
            condition.unlock()
            for job in batch { job.runSynchronously(on: asUnownedTaskExecutor()) }
        }
    }

    /// Makes `run()` return once the queue is empty.
    func stop() {
        condition.lock()
        finished = true
        condition.signal()
        condition.unlock()
    }
}
