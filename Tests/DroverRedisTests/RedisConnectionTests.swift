import CHiredis
@testable import DroverRedis
import DroverTestSupport
import Foundation
import Testing

@Suite(.serialized) struct RedisConnectionTests {
    @Test func commandsRoundTripBinaryAndLargePayloads() throws {
        let server = try RedisServer()
        let client = server.client()
        var binary: [UInt8] = Array(0...255)
        binary += [0, 0, 13, 10]
        var set = RedisCommand("SET", "bin")
        set.append(bytes: binary)
        try client.command(set)
        #expect(try client.command("GET", "bin") == .bulk(binary))
        let large = [UInt8](repeating: 0x61, count: 8 << 20)
        var setLarge = RedisCommand("SET", "large")
        setLarge.append(bytes: large)
        try client.command(setLarge)
        #expect(try client.command("STRLEN", "large") == .integer(Int64(large.count)))
        #expect(try client.command("GET", "missing") == .null)
        #expect(try client.command("PING") == .status("PONG"))
    }

    @Test func pipelineKeepsOrderAndNestedErrors() throws {
        let server = try RedisServer()
        let client = server.client()
        let replies = try client.pipeline([
            RedisCommand("SET", "a", "1"), RedisCommand("INCR", "a"), RedisCommand("HGET", "a", "f"),
            RedisCommand("GET", "a"),
        ])
        #expect(replies.count == 4)
        #expect(replies[1] == .integer(2))
        guard case .error(let message) = replies[2] else { Issue.record("expected WRONGTYPE"); return }
        #expect(message.hasPrefix("WRONGTYPE"))
        #expect(replies[3].string == "2")
    }

    /// The reply spin only changes how a reply is awaited: a reply slower than the spin, the
    /// later replies of a pipeline (already buffered) and a spin turned off all read the same.
    @Test(arguments: [Duration.zero, .microseconds(100), .milliseconds(5)])
    func replySpinReadsSlowAndPipelinedReplies(spin: Duration) throws {
        let server = try RedisServer()
        var options = RedisClient.Options(url: server.url)
        options.replySpin = spin
        let client = RedisClient(options: options)
        // A script that keeps the server busy for 20 ms, longer than any spin.
        let slow = RedisCommand("EVAL", """
            local t = redis.call('TIME'); local start = t[1] * 1000000 + t[2]
            repeat t = redis.call('TIME') until t[1] * 1000000 + t[2] - start >= 20000
            return 'slow'
            """, "0")
        #expect(try client.command(slow) == .bulk(Array("slow".utf8)))
        let replies = try client.pipeline([RedisCommand("SET", "k", "v"), slow, RedisCommand("GET", "k"), RedisCommand("PING")])
        #expect(replies == [.status("OK"), .bulk(Array("slow".utf8)), .bulk(Array("v".utf8)), .status("PONG")])
        #expect(try client.command("INCR", "n") == .integer(1))
    }

    /// A run of replies the spin misses makes the next spins skip (1, 2, 4 … replies), so a far or slow
    /// server does not cost a spin per command; a reply caught within the spin ends that.
    @Test func missedSpinsAreSkippedThenTriedAgain() throws {
        let server = try RedisServer()
        let connection = try RedisConnection(unixPath: server.socketPath, connectTimeout: .seconds(1), commandTimeout: .seconds(5))
        connection.replySpin = .microseconds(100)
        // 50 ms: far longer than the spin plus any scheduling stall of a loaded VM.
        let slow = RedisCommand("EVAL", """
            local t = redis.call('TIME'); local start = t[1] * 1000000 + t[2]
            repeat t = redis.call('TIME') until t[1] * 1000000 + t[2] - start >= 50000
            return 1
            """, "0")
        // Occasional misses skip nothing; a run of them does.
        for _ in 1..<RedisConnection.spinMissesBeforeSkipping {
            try connection.command(slow)
            #expect(connection.spinSkips == 0)
        }
        try connection.command(slow)
        #expect(connection.spinSkips == 1 && connection.spinSkipRun == 1)
        try connection.command(slow)  // not spun: skipped
        #expect(connection.spinSkips == 0 && connection.spinSkipRun == 1)
        try connection.command(slow)  // spun and missed again: a longer run
        #expect(connection.spinSkips == 2 && connection.spinSkipRun == 2)
        // Replies already read (a pipeline's later ones) neither count nor use up a skip.
        let replies = try connection.pipeline([RedisCommand("PING"), RedisCommand("PING"), RedisCommand("PING")])
        #expect(replies.count == 3)
        #expect(connection.spinSkips == 1 && connection.spinSkipRun == 2)
        try connection.command("PING")
        #expect(connection.spinSkips == 0)
        // A spin long enough to catch the reply ends the skipping.
        connection.replySpin = .seconds(1)
        try connection.command("PING")
        #expect(connection.spinSkips == 0 && connection.spinSkipRun == 0 && connection.spinMisses == 0)
    }

    /// A server stuck in a long script answers BUSY: that is "unavailable" (wait and retry, the
    /// API's 503), not a failed command (a 500).
    @Test func busyServerIsUnavailable() throws {
        let server = try RedisServer()
        let client = server.client()
        try client.command("CONFIG", "SET", "busy-reply-threshold", "50")
        let loop = try ChildProgram.start("/usr/bin/redis-cli", ["redis-cli", "-s", server.socketPath, "EVAL", "while true do end", "0"])
        defer { loop.terminate(signal: .kill) }
        let deadline = ContinuousClock.now + .seconds(10)
        var seen: RedisError?
        while seen == nil, ContinuousClock.now < deadline {
            do {
                _ = try client.command("GET", "k")
                usleep(10_000)  // the script has not started yet, or not run past the threshold
            } catch {
                seen = error
            }
        }
        let error = try #require(seen)
        #expect(error.code == .unavailable && error.isUnavailable, "\(error)")
        #expect(error.message.contains("BUSY"), "\(error)")
        // SCRIPT KILL is served while busy (after the client's short pause before it reconnects);
        // then the client works again.
        var killed = false
        while !killed, ContinuousClock.now < deadline {
            killed = (try? client.command("SCRIPT", "KILL")) != nil
            if !killed { usleep(20_000) }
        }
        #expect(killed)
        var answered = false
        while !answered, ContinuousClock.now < deadline {
            answered = (try? client.command("PING")) == .status("PONG")
            if !answered { usleep(10_000) }
        }
        #expect(answered)
    }

    @Test func serverErrorIsTyped() throws {
        let server = try RedisServer()
        let client = server.client()
        #expect { try client.command("NOSUCHCOMMAND") } throws: { ($0 as? RedisError)?.code == .server }
        // The connection survives an error reply.
        #expect(try client.command("PING") == .status("PONG"))
    }

    @Test func passwordAuthSucceedsAndWrongPasswordIsAuthenticationError() throws {
        let server = try RedisServer(arguments: ["--requirepass", "s3cret"])
        #expect(try server.client(password: "s3cret").command("PING") == .status("PONG"))
        do {
            try server.client(password: "wrong").command("PING")
            Issue.record("expected authentication failure")
        } catch {
            #expect(error.code == .authentication)
            #expect(!error.description.contains("wrong"))
        }
        // No password at all: the server says NOAUTH, which is an authentication error too.
        #expect { try server.client().command("GET", "x") } throws: { ($0 as? RedisError)?.code == .authentication }
    }

    @Test func aclUserAuth() throws {
        let server = try RedisServer(arguments: ["--user", "worker", "on", ">wpass", "~*", "&*", "+@all", "--user", "default", "off"])
        #expect(try server.client(password: "wpass", username: "worker").command("PING") == .status("PONG"))
        #expect { try server.client(password: "nope", username: "worker").command("PING") } throws: {
            ($0 as? RedisError)?.code == .authentication
        }
    }

    @Test func selectsDatabase() throws {
        let server = try RedisServer()
        var url = server.url
        url.database = 5
        let client = RedisClient(url: url)
        try client.command("SET", "k", "v")
        let plain = server.client()
        #expect(try plain.command("GET", "k") == .null)
        try plain.command("SELECT", "5")
        #expect(try plain.command("GET", "k").string == "v")
    }

    @Test func downServerIsUnavailableFastAndNeverAHang() throws {
        let server = try RedisServer()
        let client = server.client()
        server.stop()
        var started = ContinuousClock.now
        do {
            try client.command("PING")
            Issue.record("expected an error")
        } catch {
            #expect(error.isUnavailable)
            #expect(error.code == .connectionRefused)
            #expect(!error.requestSent)
        }
        // A refused connect is not tried again: well within the connect timeout (500 ms).
        #expect(ContinuousClock.now - started < .milliseconds(900))
        started = ContinuousClock.now
        #expect { try client.command("PING") } throws: { ($0 as? RedisError)?.isUnavailable == true }
        #expect(ContinuousClock.now - started < .milliseconds(900))
    }

    /// A connect that times out (a lost SYN, which the kernel resends only after a second) is
    /// tried again within the connect timeout. The lost SYN is real: a loopback listener whose
    /// accept queue is full drops new SYNs (tcp_conn_request); the second attempt goes to Redis.
    @Test func aTimedOutConnectIsRetriedWithinTheConnectTimeout() throws {
        let server = try RedisServer()
        let full = try FullListener()
        var attempts = 0
        let context = try RedisConnection.connectRetrying(peer: "test", within: .seconds(5)) { slice in
            attempts += 1
            return attempts == 1 ? redisConnectWithTimeout("127.0.0.1", full.port, timeval(slice))
                : redisConnectUnixWithTimeout(server.socketPath, timeval(slice))
        }
        redisFree(context)
        #expect(attempts == 2)
        _ = full
    }

    /// A refused connect is not tried again: nothing listens, and the caller must learn it fast.
    @Test func aRefusedConnectFailsAtOnce() throws {
        let port = try FreePort.pick()
        var attempts = 0
        #expect(throws: RedisError.self) {
            _ = try RedisConnection.connectRetrying(peer: "test", within: .seconds(5)) { slice in
                attempts += 1
                return redisConnectWithTimeout("127.0.0.1", Int32(port), timeval(slice))
            }
        }
        #expect(attempts == 1)
    }

    /// A reply lost after the command went out says so (`requestSent`): the command may have
    /// run. A failed connect sent nothing.
    @Test func aLostReplyIsToldFromAFailedConnect() throws {
        let server = try RedisServer()
        var options = RedisClient.Options(url: server.url)
        options.commandTimeout = .milliseconds(200)
        let client = RedisClient(options: options)
        try client.command("PING")
        let pid = try #require(server.pid)
        kill(pid, SIGSTOP)
        defer { kill(pid, SIGCONT) }
        do {
            try client.command("SET", "k", "v")
            Issue.record("expected a timeout")
        } catch {
            #expect(error.code == .timeout && error.requestSent)
        }
    }

    @Test func commandTimeoutOnStalledServer() throws {
        let server = try RedisServer()
        var options = RedisClient.Options(url: server.url)
        options.commandTimeout = .milliseconds(200)
        let client = RedisClient(options: options)
        try client.command("PING")
        guard let pid = server.pid else { return }
        kill(pid, SIGSTOP)
        defer { kill(pid, SIGCONT) }
        do {
            try client.command("PING")
            Issue.record("expected a timeout")
        } catch {
            #expect(error.code == .timeout)
            #expect(error.isUnavailable)
        }
    }

    @Test func reconnectsAfterServerRestart() throws {
        let server = try RedisServer()
        let client = server.client()
        try client.command("SET", "k", "1")
        server.kill()
        #expect { try client.command("GET", "k") } throws: { ($0 as? RedisError)?.isUnavailable == true }
        try server.start()
        // The backoff after one failure is short; wait for it by retrying until connected.
        try client.waitUntilConnected(deadline: .now + .seconds(5))
        #expect(try client.command("PING") == .status("PONG"))
        #expect(client.isConnected)
    }

    @Test func backoffGrowsAndIsCapped() throws {
        var options = RedisClient.Options(url: .local)
        options.initialBackoff = .milliseconds(100)
        options.maximumBackoff = .seconds(1)
        let client = RedisClient(options: options)
        #expect(client.backoff(afterFailures: 1) == .zero)
        let second = client.backoff(afterFailures: 2)
        #expect(second >= .milliseconds(80) && second <= .milliseconds(120))
        let third = client.backoff(afterFailures: 3)
        #expect(third >= .milliseconds(160) && third <= .milliseconds(240))
        #expect(client.backoff(afterFailures: 40) <= .milliseconds(1200))
    }

    @Test func scriptsSurviveNoscript() throws {
        let server = try RedisServer()
        let client = server.client()
        let script = RedisScript(name: "add", source: "return tonumber(ARGV[1]) + tonumber(ARGV[2])")
        var args = RedisCommand()
        args.append(2)
        args.append(3)
        #expect(try client.evaluate(script, keys: [], arguments: args) == .integer(5))
        try client.command("SCRIPT", "FLUSH")
        #expect(try client.evaluate(script, keys: [], arguments: args) == .integer(5))
        try client.command("SCRIPT", "FLUSH")
        let replies = try client.evaluatePipelined(script, calls: [([], args), ([], args)])
        #expect(replies == [.integer(5), .integer(5)])
    }

    @Test func scriptErrorIsTyped() throws {
        let server = try RedisServer()
        let client = server.client()
        let broken = RedisScript(name: "broken", source: "return redis.call('NOPE')")
        #expect { try client.evaluate(broken, keys: []) } throws: { ($0 as? RedisError)?.code == .script }
        let uncompilable = RedisScript(name: "bad", source: "this is not lua")
        #expect { try client.evaluate(uncompilable, keys: []) } throws: { ($0 as? RedisError)?.code == .script }
    }

    @Test func blockingCommandOutlastsTheCommandTimeout() throws {
        let server = try RedisServer()
        var options = RedisClient.Options(url: server.url)
        options.commandTimeout = .milliseconds(100)
        let client = RedisClient(options: options)
        // BLPOP for 0.3 s on a 0.1 s socket timeout would die without the temporary raise.
        let reply = try client.blockingCommand(RedisCommand("BLPOP", "nothing", "0.3"), blockFor: .milliseconds(300))
        #expect(reply == .null)
        #expect(try client.command("PING") == .status("PONG"))
    }
}

/// A loopback TCP listener with a backlog of 0 and one connection queued that it never accepts:
/// its accept queue is full, so the kernel drops every further SYN, as a lossy network would.
final class FullListener {
    let listener: Int32
    let filler: Int32
    let port: Int32

    init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        let filler = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ready = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(listener, generic, length) == 0 && listen(listener, 0) == 0 && getsockname(listener, generic, &length) == 0
                    && connect(filler, generic, length) == 0
            }
        }
        self.listener = listener
        self.filler = filler
        port = Int32(UInt16(bigEndian: address.sin_port))
        guard ready else { throw TestFixtureError("cannot set up a full loopback listener: errno \(errno)") }
    }

    deinit {
        close(filler)
        close(listener)
    }
}
