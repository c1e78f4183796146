import CDroverShims

/// A pipe: one end to read, one to write, both close-on-exec.
///
/// Made with `pipe2(O_CLOEXEC)` so no descriptor leaks into a program the worker `exec`s, with
/// no window between `pipe()` and `fcntl()` in which another thread could fork.
public struct Pipe: Sendable {
    /// The end to read from.
    public let readEnd: FileDescriptor
    /// The end to write to.
    public let writeEnd: FileDescriptor

    /// Opens a pipe.
    /// - Parameters:
    ///   - nonBlockingRead: Set `O_NONBLOCK` on the read end, as a poll loop needs.
    ///   - nonBlockingWrite: Set `O_NONBLOCK` on the write end, as a signal handler needs.
    /// - Throws: `SystemError` from `pipe2(2)` or `fcntl(2)`, e.g. `EMFILE`.
    public init(nonBlockingRead: Bool = false, nonBlockingWrite: Bool = false) throws(SystemError) {
        var fds: (Int32, Int32) = (-1, -1)
        _ = try systemCall("pipe2") {
            withUnsafeMutableBytes(of: &fds) { raw in
                drover_pipe_cloexec(raw.baseAddress!.assumingMemoryBound(to: Int32.self))
            }
        }
        readEnd = FileDescriptor(owning: fds.0)
        writeEnd = FileDescriptor(owning: fds.1)
        if nonBlockingRead { try readEnd.setNonBlocking() }
        if nonBlockingWrite { try writeEnd.setNonBlocking() }
    }
}
