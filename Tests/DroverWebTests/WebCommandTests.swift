import DroverSystem
import DroverTestSupport
import Foundation
import Testing

/// `drover web` as a user runs it: the built binary, a config file, real signals.
@Suite(.serialized)
struct WebCommandTests {
    static func environment(_ redis: RedisServer) -> [String: String] {
        var env = ProcessInfo.processInfo.environment.filter { key, _ in
            key != "REDIS_URL" && key != "REDIS_PASSWORD" && !key.hasPrefix("DROVER_")
        }
        env["REDIS_URL"] = redis.urlString
        env["SWIFT_BACKTRACE"] = "enable=no"
        return env
    }

    /// The port from the "listening on http://HOST:PORT" line.
    static func port(_ output: String) throws -> Int {
        guard let range = output.range(of: #"listening on http://127\.0\.0\.1:[0-9]+"#, options: .regularExpression),
              let port = Int(output[range].split(separator: ":").last ?? "") else {
            throw TestFixtureError("no listening line in:\n\(output)")
        }
        return port
    }

    @Test func webServesTheConfigsHTTPSectionAndStopsOnTERMWithStatus0() async throws {
        let redis = try RedisServer()
        let token = redis.directory.appendingPathComponent("api.token").path
        try "s3cret-token\n".write(toFile: token, atomically: true, encoding: .utf8)
        let config = redis.directory.appendingPathComponent("drover.yml").path
        try "http: { listen: 127.0.0.1:0, token_file: \(token) }\n".write(toFile: config, atomically: true, encoding: .utf8)
        let web = try ChildProgram.start(try DroverBinary.path(), ["drover", "web", "--config", config],
                                         environment: Self.environment(redis), awaiting: "drover web listening on http")
        let port = try Self.port(web.seen)
        let anonymous = try await HTTPTestClient(port: port, token: nil).get("/api/v1/queues")
        #expect(anonymous.status == 401, "\(anonymous)")
        let reply = try await HTTPTestClient(port: port, token: "s3cret-token").get("/api/v1/queues")
        #expect(reply.status == 200, "\(reply)")
        let status = web.terminate(signal: .term)
        #expect(status == .exited(0), "\(status): \(web.drain())")
    }

    @Test func listenAndOpenReadsFlagsOverrideTheConfig() async throws {
        let redis = try RedisServer()
        let web = try ChildProgram.start(try DroverBinary.path(),
                                         ["drover", "web", "--listen", "127.0.0.1:0", "--open-reads"],
                                         environment: Self.environment(redis), awaiting: "drover web listening on http")
        let port = try Self.port(web.seen)
        #expect(try await HTTPTestClient(port: port, token: nil).get("/api/v1/queues").status == 200)
        let write = try await HTTPTestClient(port: port, token: nil).post("/api/v1/jobs", #"{"name": "x"}"#)
        #expect(write.status == 403, "no token file: writes are refused: \(write)")
        #expect(web.terminate(signal: .int) == .exited(0))
    }

    @Test func anUnreadableTokenFileOrABadListenIsAConfigError() throws {
        let redis = try RedisServer()
        let missing = try DroverBinary.run(["web", "--token-file", "/nonexistent/api.token"],
                                           environment: ["REDIS_URL": redis.urlString])
        #expect(missing.exitCode == 78, "\(missing)")
        #expect(missing.stderr.contains("/nonexistent/api.token"), "\(missing)")
        let config = redis.directory.appendingPathComponent("bad.yml").path
        try "http: { listen: nowhere }\n".write(toFile: config, atomically: true, encoding: .utf8)
        let bad = try DroverBinary.run(["web", "--config", config], environment: ["REDIS_URL": redis.urlString])
        #expect(bad.exitCode == 78, "\(bad)")
        let flag = try DroverBinary.run(["web", "--listen", "nowhere"], environment: ["REDIS_URL": redis.urlString])
        #expect(flag.exitCode == 64, "\(flag)")
    }

    @Test func aPortInUseEndsWebWithStatus1() async throws {
        let redis = try RedisServer()
        let first = try ChildProgram.start(try DroverBinary.path(), ["drover", "web", "--listen", "127.0.0.1:0"],
                                           environment: Self.environment(redis), awaiting: "drover web listening on http")
        let port = try Self.port(first.seen)
        let second = try DroverBinary.run(["web", "--listen", "127.0.0.1:\(port)"], environment: ["REDIS_URL": redis.urlString],
                                          timeout: .seconds(20))
        #expect(second.exitCode == 1, "\(second)")
        #expect(second.stderr.contains("in use"), "\(second)")
        #expect(first.terminate(signal: .term) == .exited(0))
    }
}
