extension RedisClient {
    /// Runs a script by `EVALSHA`, loading it first if this client has not yet, and again after
    /// `NOSCRIPT` (a restarted Redis has an empty script cache).
    /// - Parameters:
    ///   - script: the script.
    ///   - keys: the `KEYS` (they must share one hash tag to stay Redis Cluster compatible).
    ///   - arguments: the `ARGV`, as one prebuilt command tail.
    /// - Throws: `RedisError(.script)` for an error raised by the script, or a connection error.
    @discardableResult
    public func evaluate(_ script: RedisScript, keys: [String], arguments: RedisCommand = RedisCommand()) throws(RedisError) -> RedisValue {
        let sha = try load(script)
        do {
            return try command(RedisScriptCall.evalsha(sha: sha, keys: keys, arguments: arguments))
        } catch where error.message.hasPrefix("NOSCRIPT") {
            script.forget()
            let reloaded = try load(script)
            return try command(RedisScriptCall.evalsha(sha: reloaded, keys: keys, arguments: arguments))
        }
    }

    /// Builds an `EVALSHA` command for a pipeline; call `load` first so the script has a SHA.
    public func evalshaCommand(_ script: RedisScript, keys: [String], arguments: RedisCommand) throws(RedisError) -> RedisCommand {
        RedisScriptCall.evalsha(sha: try load(script), keys: keys, arguments: arguments)
    }

    /// Loads a script (`SCRIPT LOAD`) unless it already has a SHA, and returns the SHA.
    @discardableResult
    public func load(_ script: RedisScript) throws(RedisError) -> String {
        if let sha = script.sha { return sha }
        let reply = try command("SCRIPT", "LOAD", script.source)
        guard let sha = reply.string else {
            throw RedisError(.unexpectedReply, "SCRIPT LOAD of \(script.name) returned \(reply)")
        }
        script.remember(sha: sha)
        return sha
    }

    /// Runs pipelined `EVALSHA` calls of one script; if Redis lost its script cache, loads the
    /// script and sends the batch once more (a `NOSCRIPT` reply proves that call did not run,
    /// so only those calls are repeated).
    public func evaluatePipelined(_ script: RedisScript, calls: [(keys: [String], arguments: RedisCommand)]) throws(RedisError) -> [RedisValue] {
        var sha = try load(script)
        var replies = try pipeline(calls.map { RedisScriptCall.evalsha(sha: sha, keys: $0.keys, arguments: $0.arguments) })
        let missing = replies.indices.filter {
            if case .error(let message) = replies[$0] { return message.hasPrefix("NOSCRIPT") }
            return false
        }
        if !missing.isEmpty {
            script.forget()
            sha = try load(script)
            let again = try pipeline(missing.map { RedisScriptCall.evalsha(sha: sha, keys: calls[$0].keys, arguments: calls[$0].arguments) })
            for (index, reply) in zip(missing, again) { replies[index] = reply }
        }
        return replies
    }
}

enum RedisScriptCall {
    static func evalsha(sha: String, keys: [String], arguments: RedisCommand) -> RedisCommand {
        var command = RedisCommand("EVALSHA", sha, String(keys.count))
        command.reserve(bytes: 64 + arguments.body.count, arguments: 3 + keys.count)
        for key in keys { command.append(key) }
        command.append(contentsOf: arguments)
        return command
    }
}
