import Foundation
import DroverRedis
import Testing

@Suite struct RedisURLTests {
    @Test func parsesHostPortAndDatabase() throws {
        let url = try RedisURL(parsing: "redis://example.org:6380/3")
        #expect(url.endpoint == .tcp(.init(host: "example.org", port: 6380)))
        #expect(url.database == 3)
        #expect(url.password == nil)
    }

    @Test func defaultsPortAndDatabase() throws {
        let url = try RedisURL(parsing: "redis://localhost")
        #expect(url.endpoint == .tcp(.init(host: "localhost", port: 6379)))
        #expect(url.database == 0)
    }

    @Test func parsesUserAndPasswordWithPercentEscapes() throws {
        let url = try RedisURL(parsing: "redis://app:p%40ss:w@10.0.0.1:7000/1")
        #expect(url.username == "app")
        #expect(url.password == "p@ss:w")
        #expect(url.endpoint == .tcp(.init(host: "10.0.0.1", port: 7000)))
    }

    @Test func parsesPasswordAlone() throws {
        let withColon = try RedisURL(parsing: "redis://:secret@h:1/0")
        #expect(withColon.username == nil && withColon.password == "secret")
    }

    /// Issue 15, item 11: `redis://alice@host` with the password elsewhere sent `alice` as the
    /// password (WRONGPASS).
    @Test func aUserWithoutAPasswordIsTheUserAndTakesThePasswordFromElsewhere() throws {
        let url = try RedisURL(parsing: "redis://alice@h:1/0")
        #expect(url.username == "alice" && url.password == nil)
        let fromEnvironment = try RedisPassword.resolve(url, environment: ["REDIS_PASSWORD": "pw"])
        #expect(fromEnvironment.username == "alice" && fromEnvironment.password == "pw")
        let sentinel = try RedisURL(parsing: "redis-sentinel://alice@s1:26379/mymaster")
        #expect(sentinel.username == "alice" && sentinel.password == nil)
        #expect(throws: RedisError.self) { try RedisPassword.resolve(url, environment: [:]) }
        do {
            _ = try RedisPassword.resolve(url, environment: [:])
        } catch {
            #expect(!error.description.contains("alice") && error.description.contains("REDIS_PASSWORD"))
            #expect(!url.description.contains("alice"))
        }
    }

    @Test func parsesUnixSocketWithDatabase() throws {
        let url = try RedisURL(parsing: "unix:///var/run/redis/redis.sock?db=2")
        #expect(url.endpoint == .unix(path: "/var/run/redis/redis.sock"))
        #expect(url.database == 2)
    }

    @Test func parsesIPv6() throws {
        let url = try RedisURL(parsing: "redis://[::1]:6390")
        #expect(url.endpoint == .tcp(.init(host: "::1", port: 6390)))
    }

    @Test func parsesSentinelList() throws {
        let url = try RedisURL(parsing: "redis-sentinel://:pw@s1:26379,s2:26380,s3/mymaster/4")
        #expect(url.endpoint == .sentinel([.init(host: "s1", port: 26379), .init(host: "s2", port: 26380),
                                           .init(host: "s3", port: 26379)], master: "mymaster"))
        #expect(url.database == 4)
        #expect(url.password == "pw")
    }

    @Test(arguments: ["localhost:6379", "http://x", "redis://h:99999", "redis://h/x", "unix://relative",
                      "redis-sentinel://s1:26379", "rediss://h", "redis://h:1:2"])
    func rejectsBadURLs(_ text: String) {
        #expect(throws: RedisError.self) { try RedisURL(parsing: text) }
    }

    @Test func neverShowsThePassword() throws {
        let url = try RedisURL(parsing: "redis://u:hunter2@h:1/0")
        #expect(!url.description.contains("hunter2"))
        #expect(url.description == "redis://u:***@h:1/0")
        do {
            _ = try RedisURL(parsing: "redis://u:hunter2@h:notaport")
            Issue.record("expected an error")
        } catch {
            #expect(!error.description.contains("hunter2"))
        }
    }

    @Test func passwordFromEnvironmentThenFile() throws {
        let url = try RedisURL(parsing: "redis://h")
        #expect(try RedisPassword.resolve(url, environment: ["REDIS_PASSWORD": "envpw"]).password == "envpw")
        let path = "/tmp/drover-test-pw-\(getpid())"
        try "filepw\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { unlink(path) }
        #expect(try RedisPassword.resolve(url, environment: [:], passwordFile: path).password == "filepw")
        #expect(try RedisPassword.resolve(url, environment: ["REDIS_PASSWORD_FILE": path]).password == "filepw")
        // The URL's own password wins.
        let own = try RedisURL(parsing: "redis://:urlpw@h")
        #expect(try RedisPassword.resolve(own, environment: ["REDIS_PASSWORD": "envpw"]).password == "urlpw")
        #expect(throws: RedisError.self) {
            try RedisPassword.resolve(url, environment: [:], passwordFile: "/nonexistent/pw")
        }
    }
}
