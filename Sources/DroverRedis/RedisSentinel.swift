/// Finds the current master through Redis Sentinel, as redis-py's `Sentinel.discover_master`
/// and Sidekiq's redis-client do: ask each sentinel in turn for the master's address, connect,
/// and check with `ROLE` that the server really is a master (a sentinel may still name a
/// demoted one for a moment after a failover).
enum RedisSentinel {
    static func discoverMaster(
        named master: String, sentinels: [RedisURL.HostPort], options: RedisClient.Options
    ) throws(RedisError) -> (connection: RedisConnection, address: RedisURL.HostPort) {
        var problems: [String] = []
        for sentinel in sentinels {
            do throws(RedisError) {
                let asked = try RedisConnection(host: sentinel.host, port: sentinel.port,
                                                connectTimeout: options.connectTimeout,
                                                commandTimeout: options.connectTimeout)
                let reply = try asked.command("SENTINEL", "get-master-addr-by-name", master)
                guard let pair = reply.array, pair.count == 2, let host = pair[0].string,
                      let port = pair[1].int else {
                    problems.append("\(sentinel.host):\(sentinel.port) does not know master \(master)")
                    continue
                }
                let address = RedisURL.HostPort(host: host, port: port)
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
}
