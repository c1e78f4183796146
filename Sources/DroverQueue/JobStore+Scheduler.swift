import DroverCore
import DroverRedis
import Foundation

/// The scheduler's keys (issue 5), beside the table in `Keyspace`:
///
/// | key | type | holds |
/// |---|---|---|
/// | `scheduler:wake` | list | wake-up tokens for schedulers: a job scheduled earlier than its queue's first (at most 8, expires after 60 s) |
/// | `periodic` | hash | entry name → `TICK JOB_ID`, the last tick fired (or skipped), epoch seconds |
extension Keyspace {
    /// The list schedulers block on (`BLPOP`) between due times.
    public var schedulerWake: String { base + "scheduler:wake" }
    /// The last-fired tick of every periodic entry.
    public var periodicMarks: String { base + "periodic" }
}

/// What one promotion call did.
public struct Promotion: Sendable, Equatable {
    /// Jobs moved from `scheduled` to `queued`.
    public var moved: Int
    /// When the earliest job still scheduled is due (ms since the epoch), or nil when none is.
    public var nextDue: Int64?
    /// More jobs are due already (the call's limit was reached): call again at once.
    public var more: Bool
}

/// The last tick fired (or skipped) for a periodic entry, as stored in Redis.
public struct PeriodicMark: Sendable, Equatable {
    /// The tick's identity: its due instant in epoch seconds (`CronTick.id`).
    public var tick: Int64
    /// The job it enqueued, or nil for a tick skipped as older than the catch-up window.
    public var jobID: JobID?
}

extension JobStore {
    /// Loads the scheduler's scripts, so its first wake-up pays no extra round trip.
    public func preloadScheduler() throws(QueueError) {
        do {
            for script in SchedulerScripts.all { try client.load(script) }
        } catch {
            throw QueueError(error)
        }
    }

    /// Promotes due scheduled jobs of every queue, in one atomic step per job (many schedulers
    /// never promote a job twice), and reports when the next one is due.
    /// - Parameters:
    ///   - now: the time to promote up to (ms since the epoch).
    ///   - limit: the most jobs moved by this call; a larger backlog sets `more`.
    /// - Throws: `QueueError` `.unavailable` or `.redis`.
    public func promoteDue(now: Int64 = Timestamp.nowMilliseconds(), limit: Int = 2000) throws(QueueError) -> Promotion {
        var args = RedisCommand()
        args.append(String(now))
        args.append(limit)
        let reply = try run(SchedulerScripts.promoteDue, args).array ?? []
        guard reply.count == 3, let moved = reply[0].int, let next = reply[1].int else {
            throw QueueError(.redis, "promote-due: unexpected reply \(reply)")
        }
        return Promotion(moved: moved, nextDue: next >= 0 ? Int64(next) : nil, more: reply[2].int == 1)
    }

    /// Fires one tick of a periodic entry: enqueues its job unless this tick (or a later one) was
    /// already fired by any scheduler.
    /// - Parameters:
    ///   - entry: the entry.
    ///   - tick: the tick.
    /// - Returns: the job's id when this call enqueued it; nil when the tick was already done.
    /// - Throws: `QueueError` `.unavailable` or `.redis`.
    public func fire(_ entry: PeriodicEntry, tick: CronTick) throws(QueueError) -> JobID? {
        var options = JobOptions()
        options.queue = entry.queue
        if let priority = entry.priority { options.priority = priority }
        if let attempts = entry.maxAttempts { options.maxAttempts = attempts }
        options.softTimeLimit = entry.softTimeLimit
        options.timeLimit = entry.timeLimit
        let request = EnqueueRequest(name: entry.job, argsJSON: entry.argsJSON ?? "{}", options: options)
        let id = JobID.periodic(entry: entry.name, tick: tick)
        var args = RedisCommand()
        args.append(entry.name)
        args.append(String(tick.id))
        args.append(id.rawValue)
        args.append(options.queue)
        args.append(options.priority)
        args.append(request.record(now: Timestamp.nowMilliseconds()))
        args.append(entry.job)
        return try run(SchedulerScripts.fireTick, args).int == 1 ? id : nil
    }

    /// Marks a tick of an entry as done without firing it (older than the catch-up window), so
    /// that no other scheduler fires or logs it again.
    /// - Returns: whether this call moved the mark (false: already done by another scheduler).
    @discardableResult
    public func skip(entry name: String, tick: CronTick) throws(QueueError) -> Bool {
        var args = RedisCommand()
        args.append(name)
        args.append(String(tick.id))
        args.append("")
        return try run(SchedulerScripts.fireTick, args).int == 1
    }

    /// The last tick fired or skipped of every periodic entry that ever fired, by entry name.
    public func periodicMarks() throws(QueueError) -> [String: PeriodicMark] {
        let flat = try run(SchedulerScripts.periodicMarks, RedisCommand()).array ?? []
        var marks: [String: PeriodicMark] = [:]
        var index = 0
        while index + 1 < flat.count {
            if let name = flat[index].string, let value = flat[index + 1].string {
                let parts = value.split(separator: " ", maxSplits: 1)
                if let tick = parts.first.flatMap({ Int64($0) }) {
                    marks[name] = PeriodicMark(tick: tick, jobID: parts.count > 1 ? JobID(String(parts[1])) : nil)
                }
            }
            index += 2
        }
        return marks
    }

    /// Retention: drops ended jobs whose TTL has passed from every queue's registries.
    /// - Parameters:
    ///   - now: the time (ms since the epoch).
    ///   - budget: the oldest ids looked at per registry.
    /// - Returns: how many ids were dropped.
    @discardableResult
    public func sweepExpired(now: Int64 = Timestamp.nowMilliseconds(), budget: Int = 500) throws(QueueError) -> Int {
        var args = RedisCommand()
        args.append(String(now))
        args.append(budget)
        return try run(SchedulerScripts.sweep, args).int ?? 0
    }
}

extension JobID {
    /// The id of the job a periodic entry's tick enqueues: a ULID whose time part is the tick's
    /// instant and whose random part is a hash of the entry's name. Every scheduler computes the
    /// same id for the same tick, so a second enqueue of it would find the first (a second guard
    /// beside the entry's last-fired mark), and the id tells which tick a job came from.
    /// - Parameters:
    ///   - entry: the periodic entry's name.
    ///   - tick: the tick.
    public static func periodic(entry: String, tick: CronTick) -> JobID {
        // FNV-1a: Swift's Hasher is seeded per process, and every scheduler must agree.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in entry.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        var generator = SplitMix64(state: hash)
        return generate(milliseconds: tick.id * 1000, using: &generator)
    }

    /// The tick a periodic job's id was made for (epoch seconds), read from its time part.
    public var periodicTick: Int64? {
        let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
        var milliseconds: Int64 = 0
        for character in rawValue.prefix(10) {
            guard let digit = alphabet.firstIndex(of: character) else { return nil }
            milliseconds = milliseconds * 32 + Int64(digit)
        }
        return milliseconds / 1000
    }
}

/// A deterministic generator (Steele, Lea, Flood: SplitMix64), for ids that must not be random.
private struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
