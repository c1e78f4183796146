import Glibc
import Synchronization

/// The single owner of an open file descriptor: it closes the descriptor once, on ``close()`` or
/// when the last reference goes.
///
/// A class rather than a `~Copyable` struct because the supervisor keeps descriptors in
/// dictionaries and arrays (one pipe per child), which need copyable elements; a reference still
/// gives one owner and one close. The number lives in an atomic so `close()` from one thread and
/// `deinit` cannot both close it, which keeps the type `Sendable` for children that use tasks.
public final class FileDescriptor: Sendable, CustomStringConvertible {
    private let storage: Atomic<Int32>

    /// Takes ownership of an open descriptor.
    /// - Parameter rawValue: A descriptor nobody else will close.
    public init(owning rawValue: Int32) {
        precondition(rawValue >= 0, "FileDescriptor(owning: \(rawValue)) is not a descriptor")
        storage = Atomic(rawValue)
    }

    deinit {
        let fd = storage.load(ordering: .relaxed)
        // Nobody can see an error from deinit; an explicit close() is where errors are reported.
        if fd >= 0 { _ = Glibc.close(fd) }
    }

    /// The descriptor number, or -1 once closed (`poll(2)` ignores negative entries).
    public var rawValue: Int32 { storage.load(ordering: .acquiring) }

    /// Whether the descriptor is still open and owned.
    public var isOpen: Bool { rawValue >= 0 }

    /// "fd 7", or "fd closed".
    public var description: String {
        let fd = rawValue
        return fd >= 0 ? "fd \(fd)" : "fd closed"
    }

    /// Closes the descriptor. Closing twice does nothing.
    ///
    /// Not retried on `EINTR`: Linux has already released the descriptor then, and a retry could
    /// close one another thread just opened (https://lwn.net/Articles/576478/, NIO's close()).
    /// - Throws: `SystemError` from `close(2)`, such as `EIO` from a delayed write error.
    public func close() throws(SystemError) {
        let fd = storage.exchange(-1, ordering: .acquiringAndReleasing)
        guard fd >= 0 else { return }
        guard Glibc.close(fd) == -1 else { return }
        let code = errno
        guard code != EINTR else { return }
        preconditionNotABug(code, "close")
        throw SystemError(code: SystemError.Code(rawValue: code), syscall: "close")
    }

    /// Gives up ownership without closing, e.g. for a descriptor handed to `exec`.
    /// - Returns: The descriptor number, or -1 when it was already closed or released.
    public func release() -> Int32 {
        storage.exchange(-1, ordering: .acquiringAndReleasing)
    }

    /// Turns `O_NONBLOCK` on or off, as a poll loop needs for every descriptor it reads.
    /// - Parameter enabled: `true` for non-blocking reads and writes.
    /// - Throws: `SystemError` from `fcntl(2)`.
    public func setNonBlocking(_ enabled: Bool = true) throws(SystemError) {
        let fd = rawValue
        let flags = try systemCall("fcntl(F_GETFL)") { fcntl(fd, F_GETFL) }
        let wanted = enabled ? flags | O_NONBLOCK : flags & ~O_NONBLOCK
        guard wanted != flags else { return }
        _ = try systemCall("fcntl(F_SETFL)") { fcntl(fd, F_SETFL, wanted) }
    }

    /// Turns `FD_CLOEXEC` on or off. Drover opens everything close-on-exec; turn it off only for
    /// a descriptor that an `exec`ed program must inherit.
    /// - Parameter enabled: `true` to close the descriptor on `exec`.
    /// - Throws: `SystemError` from `fcntl(2)`.
    public func setCloseOnExec(_ enabled: Bool) throws(SystemError) {
        let fd = rawValue
        let flags = try systemCall("fcntl(F_GETFD)") { fcntl(fd, F_GETFD) }
        let wanted = enabled ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC
        guard wanted != flags else { return }
        _ = try systemCall("fcntl(F_SETFD)") { fcntl(fd, F_SETFD, wanted) }
    }
}
