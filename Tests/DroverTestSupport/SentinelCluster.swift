import DroverRedis
import DroverSystem
import Foundation

/// A real Redis Sentinel setup for one test, on loopback TCP: a primary, one replica of it and
/// one sentinel monitoring the primary with quorum 1, each a private process with its files in
/// a private temporary directory. `init` returns once the replica's link is up and the sentinel
/// has seen the replica as a healthy candidate (so `SENTINEL FAILOVER` can pick it); every wait
/// is on an event or a polled state with a deadline. `deinit` stops all three processes.
public final class SentinelCluster: @unchecked Sendable {
    /// The server that is primary when the cluster starts.
    public let primary: RedisServer
    /// The server that replicates the primary when the cluster starts.
    public let replica: RedisServer
    /// The sentinel's TCP port on 127.0.0.1.
    public let sentinelPort: Int
    /// The name the sentinel monitors the primary under.
    public let masterName: String
    /// The sentinel's private directory (its config file, which sentinel rewrites).
    public let directory: URL
    private var sentinel: ChildProgram?

    /// The primary's TCP port.
    public var primaryPort: Int { primary.port! }
    /// The replica's TCP port.
    public var replicaPort: Int { replica.port! }

    /// Starts the primary, the replica and the sentinel, and waits until all are ready.
    /// - Parameter timeout: the longest wait for each stage.
    public init(masterName: String = "mymaster", timeout: Duration = .seconds(10)) throws {
        self.masterName = masterName
        // Diskless sync waits 5 s by default for more replicas to join; one is all there is.
        primary = try RedisServer(tcp: true, arguments: ["--repl-diskless-sync-delay", "0"])
        replica = try RedisServer(tcp: true, arguments: ["--replicaof", "127.0.0.1", String(primary.port!)])
        var template = Array("/tmp/drv-sen-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw TestFixtureError("mkdtemp failed") }
        directory = URL(fileURLWithPath: String(cString: made))
        sentinelPort = try FreePort.pick()

        try SentinelCluster.poll("replica 127.0.0.1:\(replica.port!) linked to its primary", timeout: timeout) {
            try SentinelCluster.connect(port: replica.port!).command("INFO", "replication").string?
                .contains("master_link_status:up") == true
        }

        // Sentinel rewrites its config file (CONFIG REWRITE after every state change), so it must
        // be a writable file of its own. resolve-hostnames is off: everything is a literal IP.
        let config = """
            port \(sentinelPort)
            bind 127.0.0.1
            dir "\(directory.path)"
            sentinel resolve-hostnames no
            sentinel monitor \(masterName) 127.0.0.1 \(primary.port!) 1
            sentinel down-after-milliseconds \(masterName) 1000
            sentinel failover-timeout \(masterName) 5000
            sentinel parallel-syncs \(masterName) 1

            """
        let configPath = directory.appendingPathComponent("sentinel.conf").path
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        sentinel = try ChildProgram.start(try Executables.find("redis-server"), ["redis-server", configPath, "--sentinel"],
                                          awaiting: "+monitor master \(masterName)", timeout: timeout)

        // The sentinel learns of the replica from the primary's INFO; it promotes only a replica
        // it has seen connected to the primary (master-link-status ok) and answering pings.
        try SentinelCluster.poll("sentinel seeing replica \(replica.port!) as a failover candidate", timeout: timeout) {
            try sentinelReplicas().contains { fields in
                fields["port"] == String(replica.port!) && fields["master-link-status"] == "ok"
                    && fields["flags"] == "slave" && fields["last-ok-ping-reply"] != nil
            }
        }
    }

    /// A sentinel URL for this cluster's master.
    public var url: RedisURL {
        RedisURL(endpoint: .sentinel([RedisURL.HostPort(host: "127.0.0.1", port: sentinelPort)], master: masterName))
    }

    /// A new connection to the sentinel, separate from any client under test.
    public func sentinelConnection() throws -> RedisConnection {
        try SentinelCluster.connect(port: sentinelPort)
    }

    /// The sentinel's view of the replicas: one field dictionary per replica.
    public func sentinelReplicas() throws -> [[String: String]] {
        let reply = try sentinelConnection().command("SENTINEL", "REPLICAS", masterName)
        return (reply.array ?? []).map { entry in
            let words = (entry.array ?? []).map { $0.string ?? "" }
            var fields: [String: String] = [:]
            var index = 0
            while index + 1 < words.count {
                fields[words[index]] = words[index + 1]
                index += 2
            }
            return fields
        }
    }

    /// The port the sentinel names as the master now.
    public func masterPortNamedBySentinel() throws -> Int? {
        let reply = try sentinelConnection().command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName)
        guard let pair = reply.array, pair.count == 2 else { return nil }
        return pair[1].int
    }

    /// Starts a manual failover (`SENTINEL FAILOVER`) and waits until the sentinel names
    /// `newPort` as the master.
    public func failover(to newPort: Int, timeout: Duration = .seconds(10)) throws {
        let answer = try sentinelConnection().command("SENTINEL", "FAILOVER", masterName)
        guard answer == .status("OK") else { throw TestFixtureError("SENTINEL FAILOVER answered \(answer)") }
        try SentinelCluster.poll("sentinel naming 127.0.0.1:\(newPort) as master \(masterName)", timeout: timeout) {
            try masterPortNamedBySentinel() == newPort
        }
    }

    /// Everything the sentinel has logged so far (for failure messages).
    public var sentinelLog: String { sentinel?.drain() ?? "" }

    /// A direct TCP connection to one server of the cluster, with short timeouts.
    public static func connect(port: Int) throws -> RedisConnection {
        try RedisConnection(host: "127.0.0.1", port: port, connectTimeout: .milliseconds(500),
                            commandTimeout: .seconds(2))
    }

    /// Polls `check` every 20 ms until it returns true; errors count as "not yet".
    /// - Throws: when `timeout` passes first, naming `what` and the last error.
    public static func poll(_ what: String, timeout: Duration = .seconds(10), _ check: () throws -> Bool) throws {
        let deadline = ContinuousClock.now + timeout
        var lastError: (any Error)?
        while true {
            do {
                if try check() { return }
            } catch {
                lastError = error
            }
            if ContinuousClock.now >= deadline {
                throw TestFixtureError("timed out after \(timeout) waiting for \(what)"
                                       + (lastError.map { "; last error: \($0)" } ?? ""))
            }
            var pause = timespec(tv_sec: 0, tv_nsec: 20_000_000)
            nanosleep(&pause, nil)
        }
    }

    deinit {
        sentinel?.terminate()
        sentinel = nil
        try? FileManager.default.removeItem(at: directory)
        // `primary` and `replica` stop in their own deinit, right after this one.
    }
}
