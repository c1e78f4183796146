import Glibc

/// Runs one system call that reports failure as -1 and `errno`, retrying `EINTR`.
///
/// The single funnel for system calls (after NIO's `syscall(blocking:)`): `errno` is read right
/// after the call, before anything else can change it, hence `@inline(never)`. Never use it for
/// `close()`: after `EINTR` the descriptor is already closed on Linux, and a retry could close a
/// descriptor another thread has just opened (https://lwn.net/Articles/576478/).
/// - Parameters:
///   - name: The call's name, for the error.
///   - body: The call itself.
/// - Returns: The call's result, which is not -1.
/// - Throws: `SystemError` with the call's `errno`; traps on `EBADF` and `EFAULT`, which are bugs.
@inline(never)
func systemCall<Result: FixedWidthInteger>(
    _ name: @autoclosure () -> String,
    _ body: () -> Result
) throws(SystemError) -> Result {
    while true {
        let result = body()
        guard result == -1 else { return result }
        let code = errno
        if code == EINTR { continue }
        preconditionNotABug(code, name())
        throw SystemError(code: SystemError.Code(rawValue: code), syscall: name())
    }
}

/// Traps on the `errno` values that only a bug in Drover can cause: a descriptor used after it
/// was closed (`EBADF`) or a bad pointer (`EFAULT`). Throwing would let the bug write elsewhere.
func preconditionNotABug(_ code: Int32, _ name: @autoclosure () -> String) {
    precondition(code != EBADF && code != EFAULT, "\(name()) failed with errno \(code): a bug in Drover")
}
