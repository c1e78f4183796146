import Foundation
internal import Yams

/// Where Redis is: `redis: { url, password_file, prefix }`.
public struct RedisConfig: Sendable, Equatable {
    /// The server URL (`redis://`, `rediss://`, `unix://`, `redis+unix://`, `redis-sentinel://`).
    /// Only the scheme is checked here; DroverRedis's `RedisURL` parses the rest when connecting.
    public var url: String
    /// A file holding the password, so it stays off command lines and out of the config.
    public var passwordFile: String?
    /// The prefix of every key (docs/internals.md "The store").
    public var prefix: String

    /// The local default, `redis://127.0.0.1:6379/0`, as the README's configuration says.
    public static let defaultURL = "redis://127.0.0.1:6379/0"
    /// `drover`.
    public static let defaultPrefix = "drover"

    /// Creates a Redis config.
    /// - Parameters:
    ///   - url: the server URL.
    ///   - passwordFile: a file holding the password.
    ///   - prefix: the key prefix.
    public init(url: String = defaultURL, passwordFile: String? = nil, prefix: String = defaultPrefix) {
        self.url = url
        self.passwordFile = passwordFile
        self.prefix = prefix
    }

    static let keys = ["url", "password_file", "prefix"]
    static let schemes = ["redis", "rediss", "unix", "redis+unix", "redis-sentinel"]

    /// Why `url` is not acceptable, or nil. Never repeats the URL: it may hold a password.
    static func problem(url: String) -> String? {
        guard let end = url.range(of: "://"), schemes.contains(url[..<end.lowerBound].lowercased()) else {
            return "must be a URL starting with \(schemes.map { "\($0)://" }.joined(separator: ", "))"
        }
        return nil
    }

    /// Why `prefix` is not acceptable, or nil.
    static func problem(prefix: String) -> String? {
        // Braces would start a Redis Cluster hash tag inside every key and break the one-tag-per
        // script rule of docs/internals.md "The store"; spaces and colons at the ends make keys unreadable.
        if prefix.isEmpty { return "must not be empty" }
        if prefix.contains(where: { $0 == "{" || $0 == "}" || $0.isWhitespace }) {
            return "must not contain braces or spaces (braces would become a Redis Cluster hash tag)"
        }
        return nil
    }

    /// Reads `redis:`. Problems go to `reader`; the result is only used when there are none.
    static func read(_ node: Node, path: String, reader: inout ConfigReader) -> RedisConfig {
        var config = RedisConfig()
        guard let fields = reader.fields(node, path: path, allowed: keys) else { return config }
        if let value = fields["url"], let url = reader.string(value, path: fields.path("url")) {
            if let problem = problem(url: url) {
                reader.report(.invalidValue, fields.path("url"), problem, at: value)
            }
            config.url = url
        }
        if let value = fields["password_file"] {
            config.passwordFile = reader.name(value, path: fields.path("password_file"), what: "a file path")
        }
        if let value = fields["prefix"], let prefix = reader.string(value, path: fields.path("prefix")) {
            if let problem = problem(prefix: prefix) {
                reader.report(.invalidValue, fields.path("prefix"), problem, at: value)
            }
            config.prefix = prefix
        }
        return config
    }
}
