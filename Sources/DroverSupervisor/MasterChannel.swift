import DroverSystem
import Synchronization

/// A child's side of its channel to the master: ``ChildMessage`` lines on the child's own pipe,
/// and a doorbell, one pipe shared by every child, whose byte wakes the master.
///
/// Why two: the master does not wait on each child's pipe. Two wake-ups of the master per job
/// (its `start` and `end` lines) cost a busy pool a third of its throughput on this 2-vCPU
/// machine (README, "Waiting for a reply"). The master wakes at least every
/// ``ChildMessage/masterLongestSleep`` and then reads every pipe, so a line rings only when the
/// master must act on it sooner (``ChildMessage/needsPromptReading``), for the child's first line
/// (it is up: READY waits for that), once 16 KiB have gone unannounced (a pipe holds 64 KiB), and
/// whenever the pipe is full (a user past `fs.pipe-user-pages-soft` gets 4 KiB pipes). A line is
/// in the pipe before anything rings, so a child that dies a moment later has still told the
/// master which job it held: the master reads the pipe when it reaps.
public final class MasterChannel: Sendable {
    /// The write end of the child's pipe, non-blocking (a full pipe rings before it waits).
    public let pipe: FileDescriptor
    /// The write end of the shared doorbell (non-blocking: a full doorbell already wakes the
    /// master), or nil: then lines wait for the master's next regular pass.
    let doorbell: FileDescriptor?
    /// Bytes written since the doorbell last rang; -1 before the first line.
    private let unannounced = Atomic<Int>(-1)

    /// Unannounced bytes that make the next line ring.
    static let announceEvery = 16 * 1024

    /// A channel over `pipe`, announcing through `doorbell`.
    public init(pipe: FileDescriptor, doorbell: FileDescriptor?) {
        self.pipe = pipe
        self.doorbell = doorbell
    }

    /// Writes one line (one `write(2)`, under `PIPE_BUF`, so lines of several threads never
    /// interleave) and rings when the master should read it soon. Errors are ignored: a closed
    /// pipe means the master is gone, and `PR_SET_PDEATHSIG` ends this process.
    public func send(_ message: ChildMessage) {
        let bytes = Array(message.line.utf8)
        // A line under PIPE_BUF goes in whole or not at all, even without blocking.
        let written: Int?
        do { written = try pipe.write(bytes) } catch { return }
        if written == nil {
            ring()
            try? pipe.writeAll(bytes)  // waits for the master to make room
        }
        let before = unannounced.wrappingAdd(bytes.count, ordering: .relaxed).oldValue
        if message.needsPromptReading || before < 0 || before + bytes.count >= Self.announceEvery {
            ring()
        }
    }

    private func ring() {
        unannounced.store(0, ordering: .relaxed)
        _ = try? doorbell?.write([1])
    }
}
