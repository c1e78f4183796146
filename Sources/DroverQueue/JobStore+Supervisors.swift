import DroverRedis

/// The supervisor registry: what masters publish about themselves, and the control channel
/// that reaches them (`drover workers`, `drover control`, the HTTP API).
extension JobStore {
    /// Every registered supervisor, by host then pid. Stale records (a master frozen or dead
    /// without cleaning up) are included until the scheduler prunes them; see
    /// ``SupervisorRecord/isStale(now:)``.
    public func supervisors() throws(QueueError) -> [SupervisorRecord] {
        let reply: RedisValue
        do {
            reply = try client.command("HVALS", keys.supervisors)
        } catch {
            throw QueueError(error)
        }
        return (reply.array ?? []).compactMap { $0.string.flatMap(SupervisorRecord.init(json:)) }
            .sorted { ($0.host, $0.pid) < ($1.host, $1.pid) }
    }

    /// Sends a command to one supervisor; it acts on it within about a second.
    /// - Throws: `QueueError.notFound` when no supervisor has this id.
    public func send(_ command: ControlCommand, toSupervisor id: String) throws(QueueError) {
        var args = RedisCommand()
        args.append(id)
        args.append(command.json)
        let sent = try run(SupervisorScripts.send, args).int ?? 0
        if sent == 0 { throw QueueError(.notFound, "no supervisor \(id) is registered") }
    }

    /// The supervisors' counters, summed over every host and restart.
    public func supervisorCounters() throws(QueueError) -> [SupervisorCounter] {
        let reply: RedisValue
        do {
            reply = try client.command("HGETALL", keys.counters)
        } catch {
            throw QueueError(error)
        }
        let flat = reply.array ?? []
        var counters: [SupervisorCounter] = []
        var index = 0
        while index + 1 < flat.count {
            defer { index += 2 }
            guard let field = flat[index].string, let colon = field.firstIndex(of: ":"),
                  let value = flat[index + 1].string.flatMap({ Int($0) }) else { continue }
            counters.append(SupervisorCounter(name: String(field[..<colon]), pool: String(field[field.index(after: colon)...]), value: value))
        }
        return counters.sorted { ($0.name, $0.pool) < ($1.name, $1.pool) }
    }

    /// Drops the records of supervisors not heard from since `oldestKept` (the scheduler's
    /// retention sweep), with their pending control commands.
    /// - Parameter oldestKept: ms since the epoch.
    /// - Returns: how many were removed.
    @discardableResult
    public func pruneSupervisors(notSeenSince oldestKept: Int64) throws(QueueError) -> Int {
        var args = RedisCommand()
        args.append("")
        args.append(String(oldestKept))
        return try run(SupervisorScripts.remove, args).int ?? 0
    }

    // MARK: - The master's side

    /// Writes a master's record and counter increments; returns its pending commands.
    /// - Parameters:
    ///   - record: the master's state now.
    ///   - increments: counter increments since the last successful publish.
    ///   - now: ms since the epoch.
    public func publish(_ record: SupervisorRecord, increments: [SupervisorCounter], now: Int64) throws(QueueError) -> [ControlCommand] {
        var args = RedisCommand()
        args.append(record.id)
        args.append(record.json())
        args.append(String(now))
        args.append(increments.count)
        for counter in increments {
            args.append(counter.name + ":" + counter.pool)
            args.append(counter.value)
        }
        let reply = try run(SupervisorScripts.publish, args)
        return (reply.array ?? []).compactMap { $0.string.flatMap(ControlCommand.init(json:)) }
    }

    /// Removes a master's record when it exits cleanly.
    public func removeSupervisor(id: String) throws(QueueError) {
        var args = RedisCommand()
        args.append(id)
        args.append("")
        _ = try run(SupervisorScripts.remove, args)
    }
}
