#if canImport(Glibc)
import Glibc
#endif

/// A Redis connection that heals: it connects lazily, logs in (`AUTH`, `SELECT`), finds the
/// master through sentinels, and after a connection failure reconnects with capped exponential
/// backoff. Between failed attempts it fails fast with `.unavailable`, so a producer never hangs
/// longer than one connect timeout when Redis is down.
///
/// A failed command is not retried: the caller cannot know whether a state change ran, and every
/// Drover state change is a script that the caller may choose to repeat. The one exception is
/// `NOSCRIPT`, which proves the script did not run.
///
/// Not thread-safe: one client per thread, opened after `fork()`.
public final class RedisClient {
    /// How the client connects.
    public struct Options: Sendable {
        /// Where Redis is and how to log in.
        public var url: RedisURL
        /// Longest wait for a TCP or unix connect.
        public var connectTimeout: Duration = .seconds(1)
        /// Longest wait for a reply to an ordinary command.
        public var commandTimeout: Duration = .seconds(5)
        /// First pause after a failed connect; doubles up to `maximumBackoff`.
        public var initialBackoff: Duration = .milliseconds(50)
        /// Longest pause between reconnect attempts.
        public var maximumBackoff: Duration = .seconds(5)
        /// For a sentinel URL: how long a connection is trusted before the next command asks a
        /// sentinel again which server is master (one round trip). After a failover the old
        /// master keeps taking writes until a sentinel demotes it, about 10 s later; those writes
        /// are lost. `.zero` asks before every command.
        public var sentinelCheckInterval: Duration = .seconds(1)
        /// How long a reply is awaited by watching the socket before sleeping in the kernel
        /// (`RedisConnection.replySpin`): 100 µs by default, which shortens a producer's round trip
        /// on a VM whose idle vCPUs halt (docs/benchmarks.md) for at most 100 µs of CPU per slow reply.
        /// `DROVER_REDIS_SPIN_US` overrides it (0 turns it off).
        public var replySpin: Duration = Options.defaultReplySpin
        /// Creates options.
        public init(url: RedisURL) { self.url = url }

        /// `DROVER_REDIS_SPIN_US` microseconds (0…10,000) when set, else 100 µs: the reply spin of
        /// every client of this process.
        public static let defaultReplySpin: Duration = {
            guard let text = getenv("DROVER_REDIS_SPIN_US").map({ String(cString: $0) }), let micros = Int(text),
                  (0...10_000).contains(micros) else { return .microseconds(100) }
            return .microseconds(micros)
        }()
    }

    /// The options this client was made with.
    public let options: Options
    private var connection: RedisConnection?
    private var failures = 0
    private var nextAttempt: ContinuousClock.Instant?
    private var lastError: RedisError?
    /// Where the client is connected now (the master's address, for a sentinel URL).
    public private(set) var connectedTo: String?
    /// For a sentinel URL: the master's address as named when connecting, when it was last
    /// confirmed, and the sentinel connection kept open for the re-check.
    private var master: (address: RedisURL.HostPort, checked: ContinuousClock.Instant)?
    private var sentinelConnection: RedisConnection?

    /// Creates a client; nothing is connected until the first command.
    public init(options: Options) { self.options = options }

    /// Creates a client for a URL with default timeouts.
    public convenience init(url: RedisURL) { self.init(options: Options(url: url)) }

    /// Whether a live connection is open.
    public var isConnected: Bool { connection.map { !$0.isBroken } ?? false }

    /// The last connection error, for status lines (`STATUS=redis down: …`).
    public var lastConnectionError: RedisError? { lastError }

    /// Drops the connection (it reconnects on the next command).
    public func disconnect() { connection = nil }

    // MARK: - Connecting

    /// Returns the open connection, connecting first when needed.
    /// - Throws: `.unavailable` inside the backoff window; otherwise the connect error.
    public func connect() throws(RedisError) -> RedisConnection {
        if let connection, !connection.isBroken, !masterMoved() {
            // A server that restarted or closed an idle client (its `timeout`) left a socket that
            // only reads EOF: reconnect before sending, so the caller learns "unreachable" (its
            // request did not go out) rather than "reply lost" (it may have run).
            if !connection.isClosedByPeer { return connection }
        }
        connection = nil
        if let nextAttempt, ContinuousClock.now < nextAttempt, let lastError {
            let wait = (nextAttempt - ContinuousClock.now).components
            let milliseconds = wait.seconds * 1000 + wait.attoseconds / 1_000_000_000_000_000
            throw RedisError(.unavailable, "\(options.url) is unreachable (\(lastError.message)); next attempt in \(milliseconds) ms")
        }
        do {
            let opened = try open()
            connection = opened
            failures = 0
            nextAttempt = nil
            lastError = nil
            return opened
        } catch {
            failures += 1
            lastError = error
            nextAttempt = ContinuousClock.now + backoff(afterFailures: failures)
            throw error
        }
    }

    /// Waits (sleeping through backoff) until Redis answers or `deadline` passes.
    /// - Throws: the last connect error when the deadline passes first.
    public func waitUntilConnected(deadline: ContinuousClock.Instant) throws(RedisError) {
        while true {
            do {
                _ = try connect()
                return
            } catch {
                let wake = min(nextAttempt ?? ContinuousClock.now, deadline)
                if ContinuousClock.now >= deadline { throw error }
                let pause = wake - ContinuousClock.now
                if pause > .zero { sleepFor(pause) }
            }
        }
    }

    /// The pause after `failures` failed attempts: initial × 2^(failures-1), capped, with ±20 %
    /// jitter so that many workers do not reconnect in lockstep after Redis comes back.
    public func backoff(afterFailures failures: Int) -> Duration {
        guard failures > 1 else { return .zero }  // the first reconnect after a drop is immediate
        let base = options.initialBackoff * (1 << min(failures - 2, 20))
        let capped = min(base, options.maximumBackoff)
        return capped * Double.random(in: 0.8...1.2)
    }

    /// Whether the sentinels now name another master than the one connected to. Asks at most
    /// once per `sentinelCheckInterval`, answered or not; when no sentinel answers, the
    /// connection is kept (Redis may be fine while the sentinels are down).
    private func masterMoved() -> Bool {
        guard case .sentinel(let sentinels, let name) = options.url.endpoint, let master else { return false }
        let now = ContinuousClock.now
        if now - master.checked < options.sentinelCheckInterval { return false }
        self.master = (master.address, now)
        guard let named = RedisSentinel.currentMaster(named: name, sentinels: sentinels, options: options,
                                                      cached: &sentinelConnection) else { return false }
        return named != master.address
    }

    private func open() throws(RedisError) -> RedisConnection {
        let url = options.url
        let opened: RedisConnection
        master = nil
        switch url.endpoint {
        case .tcp(let hp):
            opened = try RedisConnection(host: hp.host, port: hp.port, connectTimeout: options.connectTimeout,
                                         commandTimeout: options.commandTimeout)
            connectedTo = "\(hp.host):\(hp.port)"
        case .unix(let path):
            opened = try RedisConnection(unixPath: path, connectTimeout: options.connectTimeout,
                                         commandTimeout: options.commandTimeout)
            connectedTo = path
        case .sentinel(let sentinels, let master):
            let found = try RedisSentinel.discoverMaster(named: master, sentinels: sentinels, options: options)
            opened = found.connection
            connectedTo = "\(found.address.host):\(found.address.port) (master \(master))"
            self.master = (found.address, ContinuousClock.now)
        }
        try login(opened)
        opened.replySpin = options.replySpin
        return opened
    }

    /// Logs in (`AUTH`, `SELECT`) and learns the connection's server id (`CLIENT ID`), in one
    /// round trip. The id lets a retry after a lost reply fence this connection off
    /// (`fenceDroppedConnection`); it must be known before anything else is sent, since a lost
    /// reply loses every reply after it. A server that refuses `CLIENT` (an ACL) leaves it nil.
    private func login(_ connection: RedisConnection) throws(RedisError) {
        let url = options.url
        var commands: [RedisCommand] = []
        if let password = url.password {
            var auth = RedisCommand("AUTH")
            if let user = url.username { auth.append(user) }
            auth.append(password)
            commands.append(auth)
        }
        if url.database != 0 { commands.append(RedisCommand("SELECT", String(url.database))) }
        commands.append(RedisCommand("CLIENT", "ID"))
        for command in commands { try connection.append(command) }
        // A server busy with a script refuses CLIENT ID but serves AUTH (and SCRIPT KILL after
        // it): the connection is still made, without an id.
        var replies: [RedisValue] = []
        for command in commands { replies.append(try connection.readReply(command: command.name, returningUnavailable: true)) }
        for reply in replies.dropLast() {
            if case .error(let message) = reply, RedisConnection.isUnavailableReply(message) {
                throw RedisError(.unavailable, "\(connection.peer) \(RedisConnection.cannotServeNow): \(message)")
            }
        }
        var index = 0
        if url.password != nil {
            if case .error(let message) = replies[0] {
                // Never echo the command's arguments: they hold the password.
                let who = url.username.map { "user \($0)" } ?? "password"
                throw RedisError(.authentication, "AUTH with \(who) refused by \(connection.peer): \(message)")
            }
            index += 1
        }
        if url.database != 0 {
            if case .error(let message) = replies[index] {
                // Without (or past a refused) AUTH the reply is NOAUTH: that is the password's fault.
                if message.hasPrefix("NOAUTH") || message.hasPrefix("WRONGPASS") || message.hasPrefix("NOPERM") {
                    throw RedisConnection.serverError(message, command: "SELECT")
                }
                throw RedisError(.database, "SELECT \(url.database) refused by \(connection.peer): \(message) "
                    + "(the server's databases setting bounds the URL's db)")
            }
            index += 1
        }
        connection.serverID = replies[index].int
    }

    /// The server id and address of the connection that the last lost reply dropped.
    private var dropped: (id: Int, address: String)?

    /// Makes sure that the connection dropped by the last lost reply runs nothing more: kills it
    /// at the server (`CLIENT KILL ID`, which runs after whatever that connection's server had
    /// already read and run, and discards the rest). Without this, a request still in flight on
    /// it (held back by the network, or waiting in a stalled server's socket buffer) could run
    /// after its retry: the retry would then not be the only copy. Costs one round trip, on the
    /// retry only.
    /// - Returns: false when it cannot be done: the id is unknown (`CLIENT ID` refused, or no
    ///   connection was dropped), the client is connected elsewhere now (a failover: ids are per
    ///   server), or `CLIENT KILL` is refused.
    /// - Throws: a connection error.
    public func fenceDroppedConnection() throws(RedisError) -> Bool {
        guard let dropped else { return false }
        _ = try connect()
        guard connectedTo == dropped.address else { return false }
        do {
            try command("CLIENT", "KILL", "ID", String(dropped.id))
        } catch where error.message.contains("No such client") {
            // The server has already closed it (it saw the FIN, or restarted): nothing more can
            // run from it, which is what the fence is for.
        } catch where !error.isUnavailable {
            return false
        }
        self.dropped = nil
        return true
    }

    // MARK: - Commands

    /// Runs one command, connecting first when needed.
    /// - Throws: `RedisError`; a connection failure drops the connection for the next call.
    @discardableResult
    public func command(_ command: RedisCommand) throws(RedisError) -> RedisValue {
        let connection = try connect()
        do {
            return try connection.command(command)
        } catch {
            throw noteFailure(error)
        }
    }

    /// Runs one command given as words.
    @discardableResult
    public func command(_ words: String...) throws(RedisError) -> RedisValue {
        try command(RedisCommand(words: words))
    }

    /// Sends commands in one round trip; error replies stay in the result as `.error`.
    public func pipeline(_ commands: [RedisCommand]) throws(RedisError) -> [RedisValue] {
        let connection = try connect()
        do {
            return try connection.pipeline(commands)
        } catch {
            throw noteFailure(error)
        }
    }

    /// Sends commands without reading their replies (a window of a streamed pipeline); read
    /// them later, in order, with `receive(count:)`.
    public func send(_ commands: [RedisCommand]) throws(RedisError) {
        let connection = try connect()
        do {
            for command in commands { try connection.append(command) }
            try connection.flush()
        } catch {
            throw noteFailure(error)
        }
    }

    /// Reads `count` replies of commands sent earlier with `send`.
    public func receive(count: Int) throws(RedisError) -> [RedisValue] {
        let connection = try connect()
        var replies: [RedisValue] = []
        replies.reserveCapacity(count)
        do {
            for _ in 0..<count { replies.append(try connection.readReply()) }
        } catch {
            throw noteFailure(error)
        }
        return replies
    }

    /// Runs a blocking command (`BLPOP … timeout`), with the socket timeout raised past the
    /// block time for this call only.
    public func blockingCommand(_ command: RedisCommand, blockFor: Duration) throws(RedisError) -> RedisValue {
        let connection = try connect()
        do {
            try connection.setTimeout(blockFor + options.commandTimeout)
            // A blocking command's reply is not expected soon: sleep at once (an idle worker's
            // wait would otherwise cost a spin, and count as a miss against the next spins).
            let spin = connection.replySpin
            connection.replySpin = .zero
            // Also after an error reply (the connection still serves): later commands get the
            // ordinary timeout back.
            defer {
                connection.replySpin = spin
                if !connection.isBroken { try? connection.setTimeout(options.commandTimeout) }
            }
            return try connection.command(command)
        } catch {
            throw noteFailure(error)
        }
    }

    /// Records a failure: a connection-level one (or a replica's READONLY after a failover)
    /// closes the connection so the next call reconnects (and re-asks the sentinels).
    func noteFailure(_ error: RedisError) -> RedisError {
        var error = error
        if error.isUnavailable || error.message.contains("READONLY") {
            // A connection error after connect: the request had gone out (a READONLY reply
            // says it did not run).
            if error.isUnavailable { error.requestSent = true }
            if let id = connection?.serverID, let connectedTo { dropped = (id, connectedTo) } else { dropped = nil }
            connection = nil
            lastError = error
            if error.message.contains(RedisConnection.cannotServeNow) {
                // The server answers but cannot serve (loading, busy): connecting again would
                // succeed at once, so without a pause every caller would spin on it.
                nextAttempt = ContinuousClock.now + max(options.initialBackoff, .milliseconds(100)) * Double.random(in: 0.8...1.2)
            }
            if error.message.contains("READONLY") {
                return RedisError(.connectionLost, "\(connectedTo ?? "server") is a replica now (failover): \(error.message)")
            }
        }
        return error
    }
}

/// Sleeps the calling thread; used only between reconnect attempts.
func sleepFor(_ duration: Duration) {
    let (seconds, attoseconds) = duration.components
    var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
    var remaining = timespec()
    while nanosleep(&request, &remaining) == -1 && errno == EINTR { request = remaining }
}
