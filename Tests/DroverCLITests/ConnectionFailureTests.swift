import DroverTestSupport
import Foundation
import Testing

/// What the CLI does when Redis cannot be reached or its URL is wrong: exit 69 (or 64 for a
/// malformed URL) quickly, with one line that names the failure and never the password.
@Suite("drover with Redis down or misconfigured", .serialized)
struct ConnectionFailureTests {
    static let commands: [[String]] = [
        ["enqueue", "builtin.noop"], ["enqueue", "builtin.noop", "--count", "10"],
        ["status", "01JD3W4X5Y6Z7A8B9C0D1E2F3G"], ["cancel", "01JD3W4X5Y6Z7A8B9C0D1E2F3G"], ["info", "--json"],
    ]

    /// A connect that fails is tried again until the connect timeout is spent (a server
    /// restarting, a lost SYN): the failure comes within that timeout, here half a second.
    @Test("a socket that does not exist: exit 69 within the connect timeout, naming the failure", arguments: commands)
    func missingSocket(_ command: [String]) throws {
        let run = try DroverBinary.run(command + ["--url", "unix:///nonexistent/drover-test.sock", "--connect-timeout", "0.5"])
        #expect(run.exitCode == 69, "\(run)")
        #expect(run.elapsed < .seconds(1), "\(run)")
        #expect(run.stdout.isEmpty, "\(run)")
        #expect(run.stderr.hasPrefix("drover: "), "\(run)")
        #expect(run.stderr.contains("/nonexistent/drover-test.sock"), "the message should say where: \(run)")
        #expect(run.stderr.lowercased().contains("no such file"), "the message should say why: \(run)")
    }

    @Test("a server that was stopped: exit 69 within the connect timeout, from REDIS_URL")
    func stoppedServer() throws {
        let server = try RedisServer()
        let url = server.urlString
        let up = try DroverBinary.run(["info"], environment: ["REDIS_URL": url])
        #expect(up.exitCode == 0, "\(up)")
        server.stop()
        let run = try DroverBinary.run(["enqueue", "builtin.noop", "--connect-timeout", "0.5"], environment: ["REDIS_URL": url])
        #expect(run.exitCode == 69, "\(run)")
        #expect(run.elapsed < .seconds(1), "\(run)")
        #expect(run.stderr.contains(server.socketPath), "\(run)")
        #expect(run.stdout.isEmpty)
    }

    @Test("connection refused on TCP: exit 69 within the connect timeout, and the password never shown")
    func passwordNeverShown() throws {
        let run = try DroverBinary.run(["enqueue", "builtin.noop", "--url", "redis://u:secret@127.0.0.1:1", "--connect-timeout", "0.5"])
        #expect(run.exitCode == 69, "\(run)")
        #expect(run.elapsed < .seconds(1), "\(run)")
        #expect(run.stderr.lowercased().contains("refused"), "\(run)")
        #expect(run.stderr.contains("127.0.0.1:1"), "\(run)")
        #expect(!run.stderr.contains("secret"), "\(run)")
        #expect(!run.stdout.contains("secret"), "\(run)")
        // The same from the environment, and with the password in REDIS_PASSWORD.
        let env = try DroverBinary.run(["info"], environment: ["REDIS_URL": "redis://u:secret@127.0.0.1:1/0"])
        #expect(env.exitCode == 69, "\(env)")
        #expect(!env.stderr.contains("secret"), "\(env)")
        let separate = try DroverBinary.run(["status", "x"], environment: ["REDIS_URL": "redis://127.0.0.1:1",
                                                                        "REDIS_PASSWORD": "secret"])
        #expect(separate.exitCode == 69, "\(separate)")
        #expect(!separate.stderr.contains("secret"), "\(separate)")
    }

    @Test("a wrong password: exit 78 (configuration) saying authentication failed, without the password")
    func wrongPassword() throws {
        let server = try RedisServer(arguments: ["--requirepass", "right-horse"])
        let run = try DroverBinary.run(["info"], environment: ["REDIS_URL": server.urlString, "REDIS_PASSWORD": "wrong-battery"])
        #expect(run.exitCode == 78, "\(run)")
        #expect(run.stderr.contains("authentication failed"), "\(run)")
        #expect(run.stderr.contains(server.socketPath), "\(run)")
        #expect(!run.stderr.contains("wrong-battery"), "\(run)")
        #expect(!run.stderr.contains("right-horse"), "\(run)")
        let right = try DroverBinary.run(["info"], environment: ["REDIS_URL": server.urlString, "REDIS_PASSWORD": "right-horse"])
        #expect(right.exitCode == 0, "\(right)")
    }

    @Test("a malformed URL is a usage error (64), not an outage", arguments: ["mysql://localhost", "redis://host:notaport"])
    func malformedURL(_ url: String) throws {
        let run = try DroverBinary.run(["info", "--url", url])
        #expect(run.exitCode == 64, "\(run)")
        #expect(run.stderr.hasPrefix("drover: "), "\(run)")
    }

    /// A lease no worker can keep (below a second, or not a number) is refused up front: a
    /// 1 ms lease would have every running job recovered and run twice, and 1e300 trapped.
    @Test("an unusable --lease is a usage error (64)", arguments: [["work", "--lease", "0.5"], ["work", "--lease", "1e300"],
                                                                 ["work", "--lease", "nan"], ["worker", "--lease", "0"]])
    func unusableLease(_ arguments: [String]) throws {
        let run = try DroverBinary.run(arguments, environment: ["REDIS_URL": "unix:///nonexistent/r.sock"])
        #expect(run.exitCode == 64, "\(run)")
        #expect(run.stderr.contains("--lease"), "\(run)")
    }

    /// Issue 15, item 2: `--connect-timeout nan` trapped the CLI (exit 132); every option in
    /// seconds is checked before it becomes a duration.
    @Test("a number of seconds that no duration holds is a usage error (64)", arguments: [
        ["info", "--connect-timeout", "nan"], ["info", "--connect-timeout", "inf"], ["info", "--connect-timeout", "1e300"],
        ["info", "--connect-timeout", "-1"], ["worker", "--timeout", "nan"], ["worker", "--hung-timeout", "1e300"],
        ["scheduler", "--sweep-interval", "inf"], ["info", "--interval", "1e300"],
        ["control", "shutdown", "somehost", "--wait", "nan"],
    ])
    func unusableSeconds(_ arguments: [String]) throws {
        let run = try DroverBinary.run(arguments, environment: ["REDIS_URL": "unix:///nonexistent/r.sock"])
        #expect(run.exitCode == 64, "\(run)")
        #expect(run.stderr.contains(arguments[arguments.count - 2]), "\(run)")
    }

    /// Issue 15, item 13: a database the server does not have is configuration (78), not 1.
    @Test("?db=99 on a 16-database server: exit 78 naming SELECT")
    func databaseOutOfRange() throws {
        let server = try RedisServer()
        let run = try DroverBinary.run(["info"], environment: ["REDIS_URL": server.urlString + "?db=99"])
        #expect(run.exitCode == 78, "\(run)")
        #expect(run.stderr.contains("SELECT 99"), "\(run)")
    }

    /// Issue 15, item 11: `redis://alice@host` with the password in REDIS_PASSWORD or a file
    /// authenticates as alice (it sent "alice" as the password).
    @Test("an ACL user in the URL with the password from the environment or a file")
    func aclUserWithPasswordElsewhere() throws {
        let server = try RedisServer(tcp: true, arguments: ["--user", "alice", "on", ">horse-battery", "~*", "&*", "+@all"])
        let url = "redis://alice@127.0.0.1:\(try #require(server.port))/0"
        let fromEnvironment = try DroverBinary.run(["info"], environment: ["REDIS_URL": url, "REDIS_PASSWORD": "horse-battery"])
        #expect(fromEnvironment.exitCode == 0, "\(fromEnvironment)")
        let file = NSTemporaryDirectory() + "drover-pw-\(UUID().uuidString)"
        try "horse-battery\n".write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let fromFile = try DroverBinary.run(["info", "--password-file", file], environment: ["REDIS_URL": url])
        #expect(fromFile.exitCode == 0, "\(fromFile)")
        let fromFileVariable = try DroverBinary.run(["info"], environment: ["REDIS_URL": url, "REDIS_PASSWORD_FILE": file])
        #expect(fromFileVariable.exitCode == 0, "\(fromFileVariable)")
        let none = try DroverBinary.run(["info"], environment: ["REDIS_URL": url])
        #expect(none.exitCode == 64, "\(none)")
        #expect(none.stderr.contains("names a user (redis://USER@…) but no password"), "\(none)")
        #expect(!none.stderr.contains("alice"), "\(none)")
    }
}
