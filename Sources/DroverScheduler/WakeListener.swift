import DroverQueue
import DroverRedis
import DroverSystem

/// The scheduler's own connection, kept blocked in `BLPOP` on the wake list so that a job
/// scheduled earlier than anything the scheduler knows of wakes it at once.
///
/// Why not simply `BLPOP key timeout` with the timeout set to the next due time: Redis checks
/// blocking timeouts in its periodic cron, 10 times a second by default (`hz 10`), so such a
/// wait ends up to a tenth of a second late (docs/benchmarks.md). Instead
/// the `BLPOP` is sent with a long timeout and left outstanding, and the scheduler times its own
/// wait with `poll(2)` on this connection's socket beside its signal pipe: the socket becomes
/// readable when a token arrives, and the poll timeout is the next due instant, to the
/// millisecond. A timed-out poll leaves the `BLPOP` in place for the next wait, so waiting costs
/// no round trip at all.
final class WakeListener {
    /// How long the outstanding `BLPOP` blocks in Redis. When it ends without a token, it is
    /// sent again; if no reply comes for this long plus the command timeout, the connection is
    /// taken for dead (a peer gone without a FIN) and opened again.
    static let blockSeconds = 30

    let client: RedisClient
    let key: String
    /// The connection the outstanding `BLPOP` was sent on, and when.
    private var pending: (connection: RedisConnection, sentAt: MonotonicClock.Instant)?

    init(options: RedisClient.Options, keys: Keyspace) {
        client = RedisClient(options: options)
        key = keys.schedulerWake
    }

    /// Makes sure a `BLPOP` is outstanding, and returns the socket to poll.
    /// - Throws: `RedisError` when Redis cannot be reached.
    func arm() throws(RedisError) -> Int32 {
        let now = MonotonicClock.now()
        if let pending, !pending.connection.isBroken,
           pending.sentAt.duration(to: now) < .seconds(Int64(Self.blockSeconds)) + client.options.commandTimeout {
            return pending.connection.fileDescriptor
        }
        if pending != nil {
            // The reply is overdue: the connection is dead, or the server forgot us.
            client.disconnect()
            self.pending = nil
        }
        let connection = try client.connect()
        do {
            try connection.append(RedisCommand("BLPOP", key, String(Self.blockSeconds)))
            try connection.flush()
        } catch {
            client.disconnect()
            throw error
        }
        pending = (connection, now)
        return connection.fileDescriptor
    }

    /// Reads the reply of the outstanding `BLPOP`, once its socket is readable.
    /// - Returns: true for a token (a job due earlier was scheduled), false when the block timed
    ///   out in Redis.
    /// - Throws: `RedisError` when the connection failed; the next `arm` reconnects.
    func receive() throws(RedisError) -> Bool {
        guard let pending else { return false }
        self.pending = nil
        do {
            return !(try pending.connection.readReply(command: "BLPOP")).isNull
        } catch {
            client.disconnect()
            throw error
        }
    }

    /// Drops the connection (after an error elsewhere, so that the next `arm` starts clean).
    func reset() {
        pending = nil
        client.disconnect()
    }
}
