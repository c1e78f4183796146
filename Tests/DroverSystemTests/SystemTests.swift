import DroverSystem
import Testing

/// Everything that forks, signals, or waits for a pipe's end of file runs in this one serialized
/// suite (its nested suites inherit `.serialized`): a child forked by one test inherits every
/// descriptor open at that moment, so a parallel test's pipe would not see its hang-up until
/// that child exits, and a signal handler is process-wide.
@Suite(.serialized)
struct SystemTests {}

/// A forked child, with a lifeline: a pipe whose only writers are the child and its descendants,
/// so its read end hangs up when they have all exited. Tests await that instead of sleeping.
struct ForkedChild {
    let pid: ProcessID
    let lifeline: FileDescriptor

    /// Forks a child that runs `body` and exits with its result.
    ///
    /// The test process has threads, so the child must stay trivial: system calls through
    /// DroverSystem, then exit. No `#expect`, no async code (docs/platform.md).
    static func spawn(_ body: () -> Int32) throws -> ForkedChild {
        let pipe = try Pipe()
        switch try Posix.fork() {
        case .child:
            _ = pipe.readEnd.release()
            Posix.exit(body())
        case .parent(let pid):
            try pipe.writeEnd.close()
            return ForkedChild(pid: pid, lifeline: pipe.readEnd)
        }
    }

    /// Waits until the child and its descendants have exited, then reaps the child.
    /// - Returns: The child's status, or `nil` when it was still running after the timeout
    ///   (it is then killed and reaped, so no test leaves a process behind).
    func waitForExit(timeoutMilliseconds: Int = 10_000) throws -> WaitStatus? {
        guard try lifelineHangsUp(timeoutMilliseconds: timeoutMilliseconds) else {
            try? Posix.kill(pid, .kill)
            _ = try? Posix.wait(pid)
            return nil
        }
        return try Posix.wait(pid)
    }

    /// Whether the lifeline hung up (everyone holding it exited) within the timeout.
    func lifelineHangsUp(timeoutMilliseconds: Int) throws -> Bool {
        var poller = Poller()
        poller.add(lifeline)
        return try poller.poll(timeoutMilliseconds: timeoutMilliseconds).contains { $0.isHungUp }
    }
}
