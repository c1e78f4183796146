import DroverCore
import DroverRedis
import Foundation

/// What the HTTP side needs to run: where to listen, the token, where Redis is, and the
/// periodic entries to show. Built from the config's `http:` section and `drover web`'s flags.
public struct WebSettings: Sendable {
    /// The address to bind; loopback unless configured otherwise (issue 7: nothing is exposed
    /// by default).
    public var host: String = "127.0.0.1"
    /// The port; 0 picks a free one (tests).
    public var port: Int = 9181
    /// The bearer token every state-changing request needs, or nil: then every write is refused
    /// (there is no way to authorize it), never allowed.
    public var token: String?
    /// Whether GET endpoints answer without the token.
    public var openReads: Bool = false
    /// The largest request body accepted, in bytes.
    public var bodyLimit: Int = 64 * 1024
    /// Where Redis is. The connect timeout bounds how long a request waits before its 503.
    public var redis: RedisClient.Options
    /// The key prefix.
    public var prefix: String = "drover"
    /// The periodic entries of the config, with their next fire times on `/api/v1/periodic`.
    public var periodic: [PeriodicEntry] = []
    /// Threads (and Redis connections) that serve handlers' Redis calls.
    public var redisThreads: Int = 4
    /// `Host` names answered besides loopback's and `host`'s (`HTTPConfig.allowedHosts`).
    public var allowedHosts: [String] = []
    /// How long a connection may wait for a complete request head (`HTTPConfig.headerTimeout`).
    public var headerTimeout: Duration = HTTPConfig().headerTimeout.duration
    /// How long a request's body may take (`HTTPConfig.bodyTimeout`).
    public var bodyTimeout: Duration = HTTPConfig().bodyTimeout.duration
    /// The most connections served at once (`HTTPConfig.maxConnections`).
    public var maxConnections: Int = HTTPConfig().maxConnections

    /// Creates settings for a Redis URL.
    public init(redis: RedisURL) {
        self.init(redisOptions: RedisClient.Options(url: redis))
    }

    /// Creates settings from client options (the config's URL with its password resolved),
    /// with the web's own timeouts.
    public init(redisOptions: RedisClient.Options) {
        var options = redisOptions
        options.connectTimeout = .milliseconds(500)
        options.commandTimeout = .seconds(2)
        // Retry a lost Redis at least once a second: a dashboard should recover quickly.
        options.maximumBackoff = .seconds(1)
        self.redis = options
    }

    /// Applies a config's `http:` section and reads its token file.
    /// - Throws: `WebError` when the token file cannot be read or is empty.
    public mutating func apply(_ http: HTTPConfig) throws(WebError) {
        guard !http.host.isEmpty else {
            throw WebError(.internalServerError, "config", "http.listen must be HOST:PORT or [V6]:PORT, not \"\(http.listen)\"")
        }
        host = http.host
        port = http.port
        openReads = http.openReads
        allowedHosts = http.allowedHosts
        headerTimeout = http.headerTimeout.duration
        bodyTimeout = http.bodyTimeout.duration
        maxConnections = http.maxConnections
        if let file = http.tokenFile { token = try Self.readToken(file) }
    }

    /// Settings for a whole config: its `http:` section (or the defaults: loopback, port 9181),
    /// its key prefix and periodic entries.
    /// - Parameters:
    ///   - config: the loaded config.
    ///   - redis: client options with the password resolved.
    /// - Throws: `WebError` when `listen` is malformed or the token file is unreadable.
    public static func from(_ config: DroverConfig, redis: RedisClient.Options) throws(WebError) -> WebSettings {
        var settings = WebSettings(redisOptions: redis)
        try settings.apply(config.http ?? HTTPConfig())
        settings.prefix = config.redis.prefix
        settings.periodic = config.periodic
        return settings
    }

    /// Reads a token file: its first line, without surrounding white space.
    /// - Throws: `WebError` naming the file when it is missing, unreadable or empty.
    public static func readToken(_ path: String) throws(WebError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw WebError(.internalServerError, "config", "cannot read the token file \(path)")
        }
        let line = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        let token = line.trimmingCharacters(in: .whitespaces)
        guard !token.isEmpty else { throw WebError(.internalServerError, "config", "the token file \(path) is empty") }
        return token
    }
}
