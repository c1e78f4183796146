import Foundation

/// Where Redis is and how to log in, parsed from a URL.
///
/// Forms (the ones RQ, Celery and Sidekiq users already write):
/// - `redis://[user[:password]@]host[:port][/db]`
/// - `unix:///path/to.sock[?db=N]` (also `redis+unix://` and `redis://` with `?db=` after a path)
/// - `redis-sentinel://[user[:password]@]host:port[,host:port…]/MASTER_NAME[/db]`
///
/// The password may also come from `REDIS_PASSWORD` or a password file (see `RedisPassword`),
/// so it need not appear on a command line where `ps` shows it.
public struct RedisURL: Sendable, Equatable, CustomStringConvertible {
    /// A TCP host and port.
    public struct HostPort: Sendable, Equatable {
        public var host: String
        public var port: Int
        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }
    }

    /// Where to connect.
    public enum Endpoint: Sendable, Equatable {
        /// A TCP server.
        case tcp(HostPort)
        /// A unix domain socket.
        case unix(path: String)
        /// Sentinels to ask for the current master named `master`.
        case sentinel([HostPort], master: String)
    }

    /// Where to connect.
    public var endpoint: Endpoint
    /// The ACL user for `AUTH user password`; nil for `AUTH password` alone.
    public var username: String?
    /// The password; nil for no AUTH.
    public var password: String?
    /// The logical database for `SELECT`.
    public var database: Int

    /// Creates a URL from its parts.
    public init(endpoint: Endpoint, username: String? = nil, password: String? = nil, database: Int = 0) {
        self.endpoint = endpoint
        self.username = username
        self.password = password
        self.database = database
    }

    /// The default: `redis://127.0.0.1:6379/0`.
    public static let local = RedisURL(endpoint: .tcp(HostPort(host: "127.0.0.1", port: 6379)))

    /// Parses a URL.
    /// - Throws: `RedisError` with code `.invalidURL`, naming what is wrong but never the password.
    public init(parsing text: String) throws(RedisError) {
        func invalid(_ why: String) -> RedisError {
            RedisError(.invalidURL, "\(why) in \(RedisURL.redact(text))")
        }
        guard let schemeEnd = text.range(of: "://") else { throw invalid("missing scheme (redis://, unix://, redis-sentinel://)") }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        var rest = String(text[schemeEnd.upperBound...])

        // Query (?db=N) first, so a unix path keeps its slashes.
        var query: [String: String] = [:]
        if let q = rest.firstIndex(of: "?") {
            for pair in rest[rest.index(after: q)...].split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                query[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
            }
            rest = String(rest[..<q])
        }

        // Credentials: everything before the last '@' of the authority part.
        var user: String?
        var password: String?
        if scheme != "unix", let at = rest.lastIndex(of: "@"), !rest[..<at].contains("/") {
            let credentials = rest[..<at]
            rest = String(rest[rest.index(after: at)...])
            if let colon = credentials.firstIndex(of: ":") {
                let name = String(credentials[..<colon])
                user = name.isEmpty ? nil : RedisURL.percentDecode(name)
                password = RedisURL.percentDecode(String(credentials[credentials.index(after: colon)...]))
            } else if !credentials.isEmpty {
                // `redis://alice@host` names the ACL user, as a URL's userinfo does (RFC 3986
                // section 3.2.1) and as redis-py and redis-rb read it; the password then comes
                // from REDIS_PASSWORD or a password file (`RedisPassword`). A password alone is
                // written `redis://:secret@host`.
                user = RedisURL.percentDecode(String(credentials))
            }
        }

        var database = 0
        if let db = query["db"] {
            guard let n = Int(db), n >= 0 else { throw invalid("database must be a non-negative integer") }
            database = n
        }

        switch scheme {
        case "unix", "redis+unix":
            guard rest.hasPrefix("/") else { throw invalid("unix socket path must be absolute") }
            self.init(endpoint: .unix(path: rest), username: user, password: password, database: database)
        case "redis":
            let slash = rest.firstIndex(of: "/")
            let authority = slash.map { String(rest[..<$0]) } ?? rest
            if let slash {
                let path = rest[rest.index(after: slash)...]
                if !path.isEmpty {
                    guard let n = Int(path), n >= 0 else { throw invalid("database must be a non-negative integer") }
                    database = n
                }
            }
            guard let hostPort = RedisURL.hostPort(authority) else { throw invalid("bad host or port") }
            self.init(endpoint: .tcp(hostPort), username: user, password: password, database: database)
        case "redis-sentinel", "sentinel":
            let parts = rest.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard parts.count >= 2, !parts[1].isEmpty else { throw invalid("sentinel URL needs /MASTER_NAME") }
            var sentinels: [HostPort] = []
            for item in parts[0].split(separator: ",") {
                guard let hp = RedisURL.hostPort(String(item), defaultPort: 26379) else { throw invalid("bad sentinel address") }
                sentinels.append(hp)
            }
            guard !sentinels.isEmpty else { throw invalid("no sentinel address") }
            if parts.count >= 3, !parts[2].isEmpty {
                guard let n = Int(parts[2]), n >= 0 else { throw invalid("database must be a non-negative integer") }
                database = n
            }
            self.init(endpoint: .sentinel(sentinels, master: parts[1]), username: user, password: password, database: database)
        case "rediss":
            throw invalid("TLS (rediss://) is not supported by hiredis 0.14; use a local TLS tunnel")
        default:
            throw invalid("unknown scheme \(scheme)")
        }
    }

    /// The URL with any password replaced by `***`, for logs and errors.
    public var description: String {
        let auth: String
        switch (username, password) {
        case (nil, nil): auth = ""
        // A user with no password yet may be a password written the old way (redis://SECRET@host).
        case (_?, nil): auth = "***@"
        case (let user, _?): auth = "\(user ?? ""):***@"
        }
        switch endpoint {
        case .tcp(let hp):
            return "redis://\(auth)\(hp.host):\(hp.port)/\(database)"
        case .unix(let path):
            return "unix://\(path)" + (database == 0 ? "" : "?db=\(database)")
        case .sentinel(let hosts, let master):
            let list = hosts.map { "\($0.host):\($0.port)" }.joined(separator: ",")
            return "redis-sentinel://\(auth)\(list)/\(master)/\(database)"
        }
    }

    // MARK: - Helpers

    static func hostPort(_ text: String, defaultPort: Int = 6379) -> HostPort? {
        if text.hasPrefix("[") {  // [::1]:6379
            guard let close = text.firstIndex(of: "]") else { return nil }
            let host = String(text[text.index(after: text.startIndex)..<close])
            let after = text[text.index(after: close)...]
            if after.isEmpty { return HostPort(host: host, port: defaultPort) }
            guard after.first == ":", let port = Int(after.dropFirst()), (1...65535).contains(port) else { return nil }
            return HostPort(host: host, port: port)
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { return nil }
        let host = parts[0].isEmpty ? "127.0.0.1" : String(parts[0])
        guard parts.count == 2 else { return HostPort(host: host, port: defaultPort) }
        guard let port = Int(parts[1]), (1...65535).contains(port) else { return nil }
        return HostPort(host: host, port: port)
    }

    static func percentDecode(_ text: String) -> String {
        guard text.contains("%") else { return text }
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%"), let hi = iterator.next(), let lo = iterator.next(),
               let value = UInt8(String(decoding: [hi, lo], as: UTF8.self), radix: 16) {
                bytes.append(value)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Hides the credentials of a URL that may not even parse.
    public static func redact(_ text: String) -> String {
        guard let schemeEnd = text.range(of: "://"),
              let at = text[schemeEnd.upperBound...].lastIndex(of: "@") else { return text }
        let credentials = text[schemeEnd.upperBound..<at]
        guard let colon = credentials.firstIndex(of: ":") else {
            return text[..<schemeEnd.upperBound] + "***" + text[at...]
        }
        return text[..<schemeEnd.upperBound] + credentials[..<colon] + ":***" + text[at...]
    }
}
