import DroverRedis
import DroverSystem
import Foundation

/// A private `redis-server` for one test: a unix socket in its own short temporary directory
/// (parallel runs never collide on a port), no persistence, started and awaited by reading its
/// "ready to accept connections" line, stopped with SIGTERM and a wait (as hiredis's test.sh).
public final class RedisServer: @unchecked Sendable {
    /// The private directory holding the socket and logs.
    public let directory: URL
    /// The unix socket path.
    public let socketPath: String
    /// The TCP port, when started with one.
    public let port: Int?
    /// Extra arguments given to redis-server.
    public let extraArguments: [String]
    private var process: ChildProgram?

    /// Starts a server.
    /// - Parameters:
    ///   - tcp: also listen on a free loopback TCP port.
    ///   - arguments: extra `redis-server` arguments (`--requirepass`, `--user` …).
    public init(tcp: Bool = false, arguments: [String] = []) throws {
        // /tmp/drv-XXXXXX keeps the socket path far under the 108-byte limit of sun_path.
        var template = Array("/tmp/drv-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw TestFixtureError("mkdtemp failed") }
        directory = URL(fileURLWithPath: String(cString: made))
        socketPath = directory.appendingPathComponent("r.sock").path
        port = tcp ? try FreePort.pick() : nil
        extraArguments = arguments
        try start()
    }

    /// The URL of this server (the unix socket).
    public var url: RedisURL { RedisURL(endpoint: .unix(path: socketPath)) }

    /// The URL as text, for `REDIS_URL`.
    public var urlString: String { "unix://\(socketPath)" }

    /// A client with short timeouts, for tests.
    public func client(password: String? = nil, username: String? = nil) -> RedisClient {
        var url = self.url
        url.password = password
        url.username = username
        var options = RedisClient.Options(url: url)
        options.connectTimeout = .milliseconds(500)
        options.commandTimeout = .seconds(2)
        return RedisClient(options: options)
    }

    /// Starts (or restarts) the server and waits until it accepts connections.
    public func start() throws {
        var args = ["redis-server", "--port", String(port ?? 0), "--bind", "127.0.0.1", "--unixsocket", socketPath,
                    "--unixsocketperm", "700", "--save", "", "--appendonly", "no",
                    "--dir", directory.path, "--loglevel", "notice"]
        args += extraArguments
        process = try ChildProgram.start(try Executables.find("redis-server"), args,
                                         awaiting: "ready to accept connections")
    }

    /// Stops the server with SIGTERM and waits for it to exit.
    public func stop() {
        process?.terminate()
        process = nil
    }

    /// Kills the server with SIGKILL (a crash) and waits for it.
    public func kill() {
        process?.terminate(signal: .kill)
        process = nil
    }

    /// The server's pid, while running.
    public var pid: Int32? { process?.pid.rawValue }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }
}

/// An error of a test fixture.
public struct TestFixtureError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Finds executables on PATH and in Debian's sbin/bin directories.
public enum Executables {
    /// The path of an executable.
    public static func find(_ name: String) throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for dir in path.split(separator: ":").map(String.init) + ["/usr/bin", "/usr/sbin", "/usr/local/bin"] {
            let candidate = dir + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw TestFixtureError("\(name) not found: run Scripts/setup (apt-get install redis-server)")
    }
}

/// Picks a free loopback TCP port by binding port 0.
public enum FreePort {
    /// A port that was free a moment ago.
    public static func pick() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFixtureError("socket failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else { throw TestFixtureError("bind failed") }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
