import DroverRedis
import DroverTestSupport
import Foundation
import Testing

/// High availability against real processes: a primary, a replica and a sentinel on loopback
/// TCP (`SentinelCluster`), a forced `SENTINEL FAILOVER`, and the client following the master.
@Suite(.serialized) struct RedisSentinelTests {
    func makeClient(_ url: RedisURL, sentinelCheckInterval: Duration = .seconds(1)) -> RedisClient {
        var options = RedisClient.Options(url: url)
        options.sentinelCheckInterval = sentinelCheckInterval
        options.connectTimeout = .milliseconds(500)
        options.commandTimeout = .seconds(2)
        return RedisClient(options: options)
    }

    @Test func followsTheMasterThroughAFailover() throws {
        let cluster = try SentinelCluster()
        // Re-ask the sentinel before every command (the default trusts a connection for 1 s),
        // so the check below does not depend on how long the failover took.
        let client = makeClient(cluster.url, sentinelCheckInterval: .zero)

        // 1. Discovery: the sentinel names the primary, and the client writes and reads there.
        try client.command("SET", "before", "1")
        #expect(try client.command("GET", "before") == .bulk(Array("1".utf8)))
        #expect(client.connectedTo?.hasPrefix("127.0.0.1:\(cluster.primaryPort) ") == true,
                "connectedTo: \(client.connectedTo ?? "nil")")
        #expect(try client.command("CONFIG", "GET", "port").array?.last?.int == cluster.primaryPort)
        // Let the replica acknowledge the write, so it must survive the failover.
        #expect(try client.command("WAIT", "1", "2000") == .integer(1))

        // 2. Failover, started from a connection of its own; wait until the sentinel names the replica.
        try cluster.failover(to: cluster.replicaPort)

        // The sentinel now names the replica, but it demotes the old primary only later (after
        // its INFO period and 4 publish periods: about 10 s with the defaults), and until then
        // the old primary still takes writes. The client must not write there.
        let deadline = ContinuousClock.now + .seconds(5)
        var unavailable: [RedisError] = []
        while true {
            let result = Result { () throws(RedisError) in try client.command("SET", "after", "2") }
            guard case .failure(let error) = result else { break }
            // One isUnavailable failure is allowed (the old connection dies, or discovery is
            // retried); after waiting for the client to reconnect the write must succeed.
            guard error.isUnavailable, unavailable.isEmpty else { throw error }
            unavailable.append(error)
            try client.waitUntilConnected(deadline: deadline)
        }
        #expect(unavailable.count <= 1, "\(unavailable)")
        #expect(client.connectedTo?.hasPrefix("127.0.0.1:\(cluster.replicaPort) ") == true,
                "connectedTo: \(client.connectedTo ?? "nil")")

        // The server the client wrote to is the new master, and the write is there (and not on
        // the old primary, where it would be lost when the sentinel demotes it).
        #expect(try client.command("CONFIG", "GET", "port").array?.last?.int == cluster.replicaPort)
        #expect(try client.command("ROLE").array?.first?.string == "master")
        let newMaster = try SentinelCluster.connect(port: cluster.replicaPort)
        #expect(try newMaster.command("ROLE").array?.first?.string == "master")
        #expect(try newMaster.command("GET", "after") == .bulk(Array("2".utf8)))
        #expect(try newMaster.command("GET", "before") == .bulk(Array("1".utf8)))
        let oldPrimary = try SentinelCluster.connect(port: cluster.primaryPort)
        #expect(try oldPrimary.command("GET", "after") == .null)

        // Later commands keep going to the new master.
        #expect(try client.command("INCR", "after") == .integer(3))
        #expect(try newMaster.command("GET", "after") == .bulk(Array("3".utf8)))
    }

    @Test func unknownMasterNameIsNoMaster() throws {
        let cluster = try SentinelCluster()
        let url = RedisURL(endpoint: .sentinel([RedisURL.HostPort(host: "127.0.0.1", port: cluster.sentinelPort)],
                                               master: "nosuchmaster"))
        let client = makeClient(url)
        do {
            try client.command("PING")
            Issue.record("expected .noMaster")
        } catch {
            #expect(error.code == .noMaster, "\(error)")
            #expect(error.message.contains("nosuchmaster"))
        }
        #expect(!client.isConnected)

        // A dead sentinel first in the list is skipped; the live one names the master.
        let dead = try FreePort.pick()
        let listed = RedisURL(endpoint: .sentinel([RedisURL.HostPort(host: "127.0.0.1", port: dead),
                                                   RedisURL.HostPort(host: "127.0.0.1", port: cluster.sentinelPort)],
                                                  master: cluster.masterName))
        let fallsThrough = makeClient(listed)
        #expect(try fallsThrough.command("PING") == .status("PONG"))
        #expect(fallsThrough.connectedTo?.hasPrefix("127.0.0.1:\(cluster.primaryPort) ") == true)
    }

    @Test func noLiveSentinelIsNoMasterQuickly() throws {
        let ports = try [FreePort.pick(), FreePort.pick()]
        let url = RedisURL(endpoint: .sentinel(ports.map { RedisURL.HostPort(host: "127.0.0.1", port: $0) },
                                               master: "mymaster"))
        let client = makeClient(url)
        let started = ContinuousClock.now
        do {
            try client.command("PING")
            Issue.record("expected .noMaster")
        } catch {
            #expect(error.code == .noMaster, "\(error)")
        }
        let elapsed = ContinuousClock.now - started
        #expect(elapsed < client.options.connectTimeout * ports.count + .milliseconds(250), "took \(elapsed)")
        // Inside the backoff window the next call fails fast as well, still unavailable.
        #expect { try client.command("PING") } throws: { ($0 as? RedisError)?.isUnavailable == true }
    }
}
