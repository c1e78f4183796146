/// Finds the current master through Redis Sentinel, as redis-py's `Sentinel.discover_master`
/// and Sidekiq's redis-client do: ask each sentinel in turn for the master's address, connect,
/// and check with `ROLE` that the server really is a master (a sentinel may still name a
/// demoted one for a moment after a failover).
///
/// `currentMaster` is the cheap re-check `RedisClient` makes while connected: after a failover
/// the sentinels name the new master at once, but the old master goes on taking writes until a
/// sentinel demotes it, which is about 10 s later when it is still alive (a manual failover, a
/// network partition that healed).
enum RedisSentinel {
    static func discoverMaster(
        named master: String, sentinels: [RedisURL.HostPort], options: RedisClient.Options
    ) throws(RedisError) -> (connection: RedisConnection, address: RedisURL.HostPort) {
        var problems: [String] = []
        for sentinel in sentinels {
            do throws(RedisError) {
                let asked = try connect(to: sentinel, options: options)
                guard let address = try ask(asked, master: master) else {
                    problems.append("\(sentinel.host):\(sentinel.port) does not know master \(master)")
                    continue
                }
                let (host, port) = (address.host, address.port)
                let connection = try RedisConnection(host: host, port: port, connectTimeout: options.connectTimeout,
                                                     commandTimeout: options.commandTimeout)
                if let password = options.url.password {
                    var auth = RedisCommand("AUTH")
                    if let user = options.url.username { auth.append(user) }
                    auth.append(password)
                    do { try connection.command(auth) } catch {
                        throw RedisError(.authentication, "AUTH refused by master \(host):\(port): \(error.message)")
                    }
                }
                let role = try connection.command("ROLE")
                guard role.array?.first?.string == "master" else {
                    problems.append("\(host):\(port), named by \(sentinel.host):\(sentinel.port), is not a master")
                    continue
                }
                return (connection, address)
            } catch where error.code == .authentication {
                throw error
            } catch {
                problems.append("\(sentinel.host):\(sentinel.port): \(error.message)")
            }
        }
        throw RedisError(.noMaster, "no sentinel named a reachable master \(master): " + problems.joined(separator: "; "))
    }

    /// The address the sentinels name as master now, asked over `cached` (kept open between
    /// calls) or else each sentinel in turn; nil when no sentinel answers with an address.
    static func currentMaster(
        named master: String, sentinels: [RedisURL.HostPort], options: RedisClient.Options,
        cached: inout RedisConnection?
    ) -> RedisURL.HostPort? {
        if let asked = cached, !asked.isBroken, let address = try? ask(asked, master: master) {
            return address
        }
        cached = nil
        for sentinel in sentinels {
            guard let asked = try? connect(to: sentinel, options: options),
                  let address = try? ask(asked, master: master) else { continue }
            cached = asked
            return address
        }
        return nil
    }

    private static func connect(to sentinel: RedisURL.HostPort, options: RedisClient.Options) throws(RedisError) -> RedisConnection {
        try RedisConnection(host: sentinel.host, port: sentinel.port, connectTimeout: options.connectTimeout,
                            commandTimeout: options.connectTimeout)
    }

    /// `SENTINEL get-master-addr-by-name`: nil when the sentinel does not know the name.
    private static func ask(_ sentinel: RedisConnection, master: String) throws(RedisError) -> RedisURL.HostPort? {
        let reply = try sentinel.command("SENTINEL", "get-master-addr-by-name", master)
        guard let pair = reply.array, pair.count == 2, let host = pair[0].string, let port = pair[1].int else {
            return nil
        }
        return RedisURL.HostPort(host: host, port: port)
    }
}
