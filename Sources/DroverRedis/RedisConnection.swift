import CHiredis
#if canImport(Glibc)
import Glibc
#endif

/// One hiredis connection: connect and command timeouts, binary-safe argv commands and
/// pipelining. Not thread-safe and not shareable across `fork()`: open one per process, after the
/// fork, and use it from one thread (docs/platform.md).
///
/// Once hiredis reports an I/O or protocol error the context is dead (`isBroken`); `RedisClient`
/// then drops it and reconnects.
public final class RedisConnection {
    private let context: UnsafeMutablePointer<redisContext>
    /// The timeout applied to every command (socket send and receive).
    public let commandTimeout: Duration
    /// Whether a fatal error has been seen; every later call fails.
    public private(set) var isBroken = false
    /// Human description of the peer, for errors (no password).
    public let peer: String
    /// How long `readReply` watches the socket before it sleeps in the kernel (zero: sleep at
    /// once). See `RedisClient.Options.replySpin` for why.
    public var replySpin: Duration = .zero
    /// Replies the spin missed in a row, replies left to wait for without spinning, and the
    /// length of the next such run. A server that never answers within the spin (far away over
    /// a network, or slow) would only burn CPU: after `spinMissesBeforeSkipping` misses in a row
    /// each further miss skips the next spins, 1, 2, 4 … up to 1,024 replies; a reply caught
    /// within the spin ends that. Occasional misses skip nothing: one worker beside a local
    /// Redis, whose reply often takes a Redis wake-up longer than the spin, did 30 % fewer jobs
    /// when every miss skipped the next spin.
    private(set) var spinMisses = 0
    private(set) var spinSkips = 0
    private(set) var spinSkipRun = 0
    static let spinMissesBeforeSkipping = 8

    /// The server's id for this connection (`CLIENT ID`), when `RedisClient` asked for it at
    /// connect; `RedisClient.fenceDroppedConnection` kills the connection by it.
    public internal(set) var serverID: Int?

    /// Connects over TCP.
    /// - Throws: `RedisError` `.connectionRefused`, `.timeout` or `.connectionLost`.
    public init(host: String, port: Int, connectTimeout: Duration, commandTimeout: Duration) throws(RedisError) {
        let peer = "\(host):\(port)"
        self.peer = peer
        self.commandTimeout = commandTimeout
        ignoreSIGPIPE()
        let ctx = try RedisConnection.connectRetrying(peer: peer, within: connectTimeout) { attempt in
            redisConnectWithTimeout(host, Int32(port), timeval(attempt))
        }
        context = ctx
        _ = redisEnableKeepAlive(ctx)  // notice a dead peer on an idle connection
        try setTimeout(commandTimeout)
        closeOnExec()
    }

    /// Connects over a unix domain socket.
    /// - Throws: `RedisError` `.connectionRefused`, `.timeout` or `.connectionLost`.
    public init(unixPath: String, connectTimeout: Duration, commandTimeout: Duration) throws(RedisError) {
        peer = unixPath
        self.commandTimeout = commandTimeout
        ignoreSIGPIPE()
        context = try RedisConnection.connectRetrying(peer: unixPath, within: connectTimeout) { attempt in
            redisConnectUnixWithTimeout(unixPath, timeval(attempt))
        }
        try setTimeout(commandTimeout)
        closeOnExec()
    }

    /// hiredis 0.14 opens its socket without `SOCK_CLOEXEC`: without this, every program a
    /// worker starts (an exec job) would inherit a logged-in Redis connection.
    private func closeOnExec() {
        let fd = context.pointee.fd
        let flags = fcntl(fd, F_GETFD)
        if flags >= 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
    }

    deinit { redisFree(context) }

    /// Connects within `timeout` in several attempts: one that times out is tried again at
    /// once, each attempt with a share of the time left. A connect refused (or a socket file
    /// missing) fails at once: nothing listens there, the answer will not change within a
    /// connect timeout, and callers (a CLI's 69, the master's loop) must learn it fast; the
    /// client's reconnect backoff covers a server that is restarting.
    ///
    /// Why: a lost SYN is resent by the kernel only after its initial retransmission timeout of
    /// one second (RFC 6298 section 2.1; Linux's `TCP_TIMEOUT_INIT`), so with a connect
    /// timeout of about a second a single lost packet failed the whole connect; a new attempt
    /// sends a new SYN at once. The first attempt gets a quarter of the timeout (at least
    /// 100 ms), each later one twice the one before, the last one what is left.
    static func connectRetrying(peer: String, within timeout: Duration,
                                _ attempt: (Duration) -> UnsafeMutablePointer<redisContext>?)
        throws(RedisError) -> UnsafeMutablePointer<redisContext> {
        let deadline = ContinuousClock.now + timeout
        var slice = min(timeout, max(timeout / 4, .milliseconds(100)))
        while true {
            let left = deadline - ContinuousClock.now
            guard let ctx = attempt(min(slice, max(left, .milliseconds(1)))) else {
                throw RedisError(.connectionLost, "cannot allocate a hiredis context for \(peer)")
            }
            if ctx.pointee.err == 0 { return ctx }
            let error = errorOf(ctx, what: "connect on \(peer)")
            redisFree(ctx)
            guard error.code == .timeout, ContinuousClock.now < deadline else { throw error }
            slice = min(slice * 2, timeout)
        }
    }

    /// Whether the server has closed this connection while it sat idle (its FIN or a reset has
    /// arrived): a request written now could not run, and its lost reply would leave the
    /// caller not knowing whether it ran. One non-blocking poll(2) for `POLLRDHUP` (Linux's
    /// "peer closed its writing half", poll(2)), `POLLHUP` or `POLLERR`.
    public var isClosedByPeer: Bool {
        // POLLRDHUP needs _GNU_SOURCE in C; its value is fixed in the Linux ABI (bits/poll.h).
        let readHangUp: Int16 = 0x2000
        var watched = pollfd(fd: context.pointee.fd, events: Int16(POLLIN) | readHangUp, revents: 0)
        guard poll(&watched, 1, 0) > 0 else { return false }
        return watched.revents & (readHangUp | Int16(POLLHUP) | Int16(POLLERR)) != 0
    }

    /// Sets the socket timeout for the following commands. A blocking command (BLPOP …) needs a
    /// timeout longer than its own block time, or the connection dies mid-wait.
    public func setTimeout(_ timeout: Duration) throws(RedisError) {
        if redisSetTimeout(context, timeval(timeout)) != REDIS_OK {
            throw markBroken(RedisError(.connectionLost, "cannot set socket timeout on \(peer)"))
        }
    }

    // MARK: - Commands

    /// Sends one command and waits for its reply.
    /// - Returns: the reply; a top-level error reply is thrown, not returned.
    /// - Throws: `RedisError`: `.server` for an error reply, a connection code otherwise.
    @discardableResult
    public func command(_ command: RedisCommand) throws(RedisError) -> RedisValue {
        try append(command)
        let value = try readReply(command: command.name)
        if case .error(let message) = value { throw RedisConnection.serverError(message, command: command.name) }
        return value
    }

    /// Sends one command given as words: `try connection.command("SET", key, value)`.
    @discardableResult
    public func command(_ words: String...) throws(RedisError) -> RedisValue {
        try command(RedisCommand(words: words))
    }

    /// Sends every command, then reads every reply: one round trip for the whole batch.
    /// - Returns: one value per command; error replies stay in the array as `.error`.
    /// - Throws: `RedisError` when the connection fails (then no reply is trustworthy).
    public func pipeline(_ commands: [RedisCommand]) throws(RedisError) -> [RedisValue] {
        for command in commands { try append(command) }
        var replies: [RedisValue] = []
        replies.reserveCapacity(commands.count)
        for command in commands { replies.append(try readReply(command: command.name)) }
        return replies
    }

    /// Writes everything queued by `append` to the socket without reading any reply, so the
    /// server starts on it while the caller prepares the next batch.
    public func flush() throws(RedisError) {
        guard !isBroken else { throw RedisError(.connectionLost, "connection to \(peer) is closed") }
        var done: Int32 = 0
        while done == 0 {
            if redisBufferWrite(context, &done) != REDIS_OK { throw markBroken(currentError(command: "write")) }
        }
    }

    /// Queues a command in hiredis's output buffer without sending it (`redisAppendCommandArgv`).
    public func append(_ command: RedisCommand) throws(RedisError) {
        guard !isBroken else { throw RedisError(.connectionLost, "connection to \(peer) is closed") }
        let header = command.header
        var status = header.withUnsafeBufferPointer { raw in
            raw.withMemoryRebound(to: CChar.self) { redisAppendFormattedCommand(context, $0.baseAddress, $0.count) }
        }
        if status == REDIS_OK {
            status = command.body.withUnsafeBufferPointer { raw in
                raw.withMemoryRebound(to: CChar.self) { redisAppendFormattedCommand(context, $0.baseAddress, $0.count) }
            }
        }
        if status != REDIS_OK { throw markBroken(currentError(command: command.name)) }
    }

    /// Reads the next reply (flushing queued commands first).
    public func readReply(command: String = "") throws(RedisError) -> RedisValue {
        try readReply(command: command, returningUnavailable: false)
    }

    /// Reads the next reply; with `returningUnavailable`, a "cannot serve now" reply (LOADING,
    /// BUSY …) is returned as an `.error` value like any other error reply, and the connection
    /// stays usable.
    func readReply(command: String, returningUnavailable: Bool) throws(RedisError) -> RedisValue {
        guard !isBroken else { throw RedisError(.connectionLost, "connection to \(peer) is closed") }
        var raw: UnsafeMutableRawPointer?
        var status = Int32(REDIS_OK)
        // A reply already read (a pipeline's later replies) says nothing about the spin.
        if redisGetReplyFromReader(context, &raw) != REDIS_OK { status = Int32(REDIS_ERR) }
        if status == REDIS_OK, raw == nil, replySpin > .zero {
            if spinSkips > 0 {
                spinSkips -= 1
            } else {
                let caught: Bool
                (status, caught) = spinForReply(&raw)
                if caught {
                    spinMisses = 0
                    spinSkipRun = 0
                } else {
                    spinMisses += 1
                    if spinMisses >= Self.spinMissesBeforeSkipping {
                        spinSkipRun = min(max(1, spinSkipRun * 2), 1024)
                        spinSkips = spinSkipRun
                    }
                }
            }
        }
        if status == REDIS_OK, raw == nil { status = redisGetReply(context, &raw) }
        guard status == REDIS_OK, let raw else { throw markBroken(currentError(command: command)) }
        defer { freeReplyObject(raw) }
        let value = RedisConnection.convert(raw.assumingMemoryBound(to: redisReply.self))
        // A server that cannot serve now (loading its data, stuck in a script, without its
        // master) is unavailable, like one that cannot be reached: callers wait and retry, the
        // API answers 503. The connection is dropped, since later replies of a pipeline are unread.
        if !returningUnavailable, case .error(let message) = value, Self.isUnavailableReply(message) {
            throw markBroken(RedisError(.unavailable, "\(peer) \(Self.cannotServeNow): \(message)"))
        }
        return value
    }

    /// Sends what is queued, then watches the socket with zero-timeout `poll` until the reply has
    /// started to arrive or `replySpin` has passed; `redisGetReply` then reads it. (`readReply`
    /// takes a reply already buffered, a pipeline's later ones, without coming here.)
    ///
    /// Why: on a virtual machine a process that sleeps in the kernel while Redis works costs a
    /// halted vCPU's wake-up on the reply, which can be most of a round trip (docs/platform.md;
    /// figures in docs/benchmarks.md, "Waiting for a reply"). Spinning keeps the vCPU awake for
    /// the tens of µs a local reply takes; a reply that takes longer (a blocking fetch, a slow script)
    /// costs at most `replySpin` of CPU before the usual sleep. Each turn yields the CPU
    /// (`sched_yield`), so a spinning worker never holds off Redis or another worker that shares
    /// its core: without that, two spinning workers beside Redis on two cores lost throughput.
    /// - Returns: hiredis's status, and whether the reply (or its first bytes) came within the spin.
    private func spinForReply(_ raw: inout UnsafeMutableRawPointer?) -> (status: Int32, caught: Bool) {
        var done: Int32 = 0
        while done == 0 {
            if redisBufferWrite(context, &done) != REDIS_OK { return (Int32(REDIS_ERR), true) }
        }
        let deadline = ContinuousClock.now.advanced(by: replySpin)
        var watched = pollfd(fd: context.pointee.fd, events: Int16(POLLIN), revents: 0)
        while true {
            // Polled after each yield before the deadline counts: a reply that came while another
            // process had this core was still caught without a sleep, which is what the spin is for.
            if poll(&watched, 1, 0) != 0 { return (Int32(REDIS_OK), true) }
            if ContinuousClock.now >= deadline { return (Int32(REDIS_OK), false) }
            sched_yield()
        }
    }

    /// In the message of an error made from such a reply.
    static let cannotServeNow = "cannot serve now"

    /// Error replies that mean "not now" rather than "bad command" (Redis's LOADING, BUSY,
    /// MASTERDOWN and TRYAGAIN).
    static func isUnavailableReply(_ message: String) -> Bool {
        message.hasPrefix("LOADING") || message.hasPrefix("BUSY ") || message.hasPrefix("MASTERDOWN")
            || message.hasPrefix("TRYAGAIN")
    }

    /// The file descriptor, for `poll()` by a caller that waits on several things.
    public var fileDescriptor: Int32 { context.pointee.fd }

    // MARK: - Errors

    private func markBroken(_ error: RedisError) -> RedisError {
        isBroken = true
        return error
    }

    /// Reads hiredis's error right after the failing call (errno included).
    private func currentError(command: String) -> RedisError {
        RedisConnection.errorOf(context, what: command.isEmpty ? peer : "\(command) on \(peer)")
    }

    /// The error a context holds, named by `what` (the command and the peer).
    private static func errorOf(_ context: UnsafeMutablePointer<redisContext>, what: String) -> RedisError {
        let savedErrno = errno
        let kind = context.pointee.err
        let text = withUnsafeBytes(of: context.pointee.errstr) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        switch kind {
        case REDIS_ERR_IO:
            switch savedErrno {
            case EAGAIN, ETIMEDOUT, EINPROGRESS:
                return RedisError(.timeout, "\(what): timed out")
            case ECONNREFUSED, ENOENT:
                return RedisError(.connectionRefused, "\(what): \(text)")
            default:
                if text.contains("refused") || text.contains("No such file") {
                    return RedisError(.connectionRefused, "\(what): \(text)")
                }
                if text.contains("timed out") || text.contains("temporarily unavailable") {
                    return RedisError(.timeout, "\(what): timed out")
                }
                return RedisError(.connectionLost, "\(what): \(text)")
            }
        case REDIS_ERR_EOF:
            return RedisError(.connectionLost, "\(what): server closed the connection")
        case REDIS_ERR_PROTOCOL:
            return RedisError(.protocolError, "\(what): \(text)")
        default:
            if text.contains("refused") { return RedisError(.connectionRefused, "\(what): \(text)") }
            if text.contains("timed out") { return RedisError(.timeout, "\(what): timed out") }
            return RedisError(.connectionLost, "\(what): \(text.isEmpty ? "unknown hiredis error" : text)")
        }
    }

    static func serverError(_ message: String, command: String) -> RedisError {
        if message.hasPrefix("WRONGPASS") || message.hasPrefix("NOAUTH") || message.contains("invalid password")
            || message.contains("invalid username-password") {
            return RedisError(.authentication, message)
        }
        if message.hasPrefix("NOSCRIPT") || message.contains("Error running script") || message.contains("user_script")
            || message.hasPrefix("ERR Error compiling script") {
            return RedisError(.script, message)
        }
        return RedisError(.server, "\(command): \(message)")
    }

    // MARK: - Reply conversion

    static func convert(_ reply: UnsafeMutablePointer<redisReply>) -> RedisValue {
        let r = reply.pointee
        switch r.type {
        case REDIS_REPLY_STRING:
            return .bulk(bytes(r.str, r.len))
        case REDIS_REPLY_STATUS:
            return .status(String(decoding: bytes(r.str, r.len), as: UTF8.self))
        case REDIS_REPLY_ERROR:
            return .error(String(decoding: bytes(r.str, r.len), as: UTF8.self))
        case REDIS_REPLY_INTEGER:
            return .integer(r.integer)
        case REDIS_REPLY_ARRAY:
            var values: [RedisValue] = []
            values.reserveCapacity(r.elements)
            for i in 0..<r.elements {
                if let element = r.element[i] { values.append(convert(element)) } else { values.append(.null) }
            }
            return .array(values)
        default:
            return .null
        }
    }

    private static func bytes(_ pointer: UnsafeMutablePointer<CChar>?, _ length: Int) -> [UInt8] {
        guard let pointer, length > 0 else { return [] }
        return pointer.withMemoryRebound(to: UInt8.self, capacity: length) {
            Array(UnsafeBufferPointer(start: $0, count: length))
        }
    }
}

/// Converts a Swift duration to the `timeval` hiredis wants.
func timeval(_ duration: Duration) -> timeval {
    let (seconds, attoseconds) = duration.components
    return Glibc.timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
}

/// hiredis writes with write(2), so a peer that went away raises SIGPIPE, whose default action
/// kills the process. Every network library on Linux ignores it (SwiftNIO does) and reads EPIPE
/// instead. Programs that Drover starts get default dispositions back (`Spawn` resets them).
private func ignoreSIGPIPE() {
    _ = sigpipeIgnored
}

private let sigpipeIgnored: Bool = {
    signal(SIGPIPE, SIG_IGN)
    return true
}()
