import CDroverShims
import Glibc

/// The self-pipe trick for the master loop: signals become bytes on a pipe that the loop polls.
///
/// The handler (C, in CDroverShims) writes one byte, the signal number, to a non-blocking
/// close-on-exec pipe, saving and restoring `errno`, and does nothing else; all real work runs in
/// the loop after ``drain()``, where it is safe to log, allocate and talk to Redis (Unicorn's
/// `SELF_PIPE`, https://cr.yp.to/docs/selfpipe.html). The master polls ``readFD`` with its
/// children's pipes, so a signal wakes `poll(2)` at once, even one arriving just before it sleeps.
///
/// Only one may be installed per process. ``Posix/fork()`` already resets its handlers in the
/// child; the child then calls ``restoreDefaults()`` (or ``ChildSetup``) to close its copy.
public final class SignalPipe: Sendable {
    /// The signals handled, in the order given.
    public let signals: [Signal]
    /// The read end, non-blocking: poll it for `.readable`, then call ``drain()``.
    public let readFD: FileDescriptor
    private let writeFD: FileDescriptor
    private let generation: Int32

    /// Creates the pipe and installs the handler for `signals`.
    ///
    /// Handlers use `SA_RESTART` (blocking reads elsewhere are not interrupted; `poll(2)` still
    /// is) and, for CHLD, `SA_NOCLDSTOP` (stopped children are not reported).
    /// - Parameter signals: The signals to catch; KILL and STOP cannot be caught.
    /// - Throws: `SystemError` with ``SystemError/Code/busy`` when a SignalPipe is already
    ///   installed, or from `pipe2(2)`/`sigaction(2)` (then nothing stays installed).
    public init(signals: [Signal]) throws(SystemError) {
        let pipe = try Pipe(nonBlockingRead: true, nonBlockingWrite: true)
        let numbers = signals.map(\.rawValue)
        let writeFD = pipe.writeEnd.rawValue
        let generation = numbers.withUnsafeBufferPointer { buffer in
            drover_signal_pipe_install(writeFD, buffer.baseAddress, Int32(buffer.count))
        }
        if generation == -1 {
            throw SystemError(code: SystemError.Code(rawValue: errno), syscall: "sigaction")
        }
        self.signals = signals
        self.readFD = pipe.readEnd
        self.writeFD = pipe.writeEnd
        self.generation = generation
    }

    deinit {
        // Handlers go before the descriptors close (stored properties are released after this
        // body), so no handler can write to a descriptor number that is reused.
        drover_signal_pipe_uninstall(generation, 1)
    }

    /// Reads every signal that has arrived since the last drain.
    ///
    /// A signal that arrives twice before the drain appears twice. If 64 KiB of bytes pile up
    /// unread, the handler drops further ones: the loop is awake anyway.
    /// - Returns: The signals in arrival order; empty when none arrived.
    /// - Throws: `SystemError` from `read(2)`.
    public func drain() throws(SystemError) -> [Signal] {
        var bytes: [UInt8] = []
        while case .read = try readFD.read(into: &bytes, maxCount: 256) {}
        return bytes.map { Signal(rawValue: Int32($0)) }
    }

    /// For a forked child: handlers back to `SIG_DFL`, an empty signal mask, and both ends of
    /// the master's pipe closed.
    ///
    /// ``Posix/fork()`` has already reset the handlers and mask before returning in the child
    /// (it must, before any signal can arrive); this repeats that harmlessly and closes the
    /// descriptors, which the child must not hold. Called in the master, it uninstalls the
    /// handlers for good.
    public func restoreDefaults() {
        drover_signal_pipe_uninstall(generation, 0)
        _ = drover_unblock_all_signals()
        try? readFD.close()
        try? writeFD.close()
    }
}
