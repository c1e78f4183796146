import Foundation
internal import Yams

/// The HTTP API child: `http: { listen, token_file, open_reads, allowed_hosts, … }`. When
/// present, the master forks an http child.
public struct HTTPConfig: Sendable, Equatable {
    /// The address to listen on, `host:port` or `[v6]:port`.
    public var listen: String
    /// A file holding the bearer token the API requires.
    public var tokenFile: String?
    /// Whether reads (GET) are allowed without the token, for a dashboard on a trusted network.
    public var openReads: Bool
    /// Host names the server answers to besides loopback's and the listen address (`Host:`
    /// headers; `name` for any port, `name:port` for one). Any other name is refused, so a page
    /// whose name was rebound to this address (DNS rebinding) cannot read the API.
    public var allowedHosts: [String] = []
    /// How long a connection may go without a complete request head: a kept-alive connection
    /// between requests, or one whose headers are still arriving.
    public var headerTimeout: TimeSpan = .seconds(10)
    /// How long a request's body may take to arrive, from its head to its end.
    public var bodyTimeout: TimeSpan = .seconds(30)
    /// The most connections served at once; more wait in the listen backlog.
    public var maxConnections: Int = 4096

    /// `127.0.0.1:9181` (RQ dashboard's port), loopback so nothing is exposed by default.
    public static let defaultListen = "127.0.0.1:9181"

    /// Creates an HTTP config.
    /// - Parameters:
    ///   - listen: `host:port`.
    ///   - tokenFile: the token file.
    ///   - openReads: whether GETs need no token.
    public init(listen: String = defaultListen, tokenFile: String? = nil, openReads: Bool = false) {
        self.listen = listen
        self.tokenFile = tokenFile
        self.openReads = openReads
    }

    /// The host part of `listen`, without brackets.
    public var host: String { Self.split(listen)?.host ?? "" }
    /// The port part of `listen`.
    public var port: Int { Self.split(listen)?.port ?? 0 }

    /// Splits `host:port` or `[v6]:port`; nil if malformed. Port 0 asks for any free port.
    static func split(_ listen: String) -> (host: String, port: Int)? {
        guard let colon = listen.lastIndex(of: ":") else { return nil }
        var host = String(listen[..<colon])
        guard let port = Int(listen[listen.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        if host.hasPrefix("[") {
            guard host.hasSuffix("]"), host.count > 2 else { return nil }
            host = String(host.dropFirst().dropLast())
        } else if host.contains(":") {
            return nil  // a bare IPv6 address is ambiguous; it needs brackets
        }
        return host.isEmpty ? nil : (host, port)
    }

    static func problem(listen: String) -> String? {
        split(listen) == nil ? "must be host:port (such as 127.0.0.1:9181 or [::1]:9181), not \"\(listen)\"" : nil
    }

    /// Splits a `Host` header or an `allowed_hosts` entry, `name`, `name:port`, `[v6]` or
    /// `[v6]:port`, into its lowercased name (IPv6 in brackets, a final dot dropped: `a.b.` is
    /// `a.b`) and port; nil if malformed.
    public static func authority(_ text: String) -> (name: String, port: Int?)? {
        var name = Substring(text.lowercased())
        var port: Int?
        if name.hasPrefix("[") {
            guard let close = name.firstIndex(of: "]") else { return nil }
            let rest = name[name.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":"), let value = Int(rest.dropFirst()), (0...65535).contains(value) else { return nil }
                port = value
            }
            name = name[...close]
        } else if let colon = name.lastIndex(of: ":") {
            guard let value = Int(name[name.index(after: colon)...]), (0...65535).contains(value) else { return nil }
            port = value
            name = name[..<colon]
        }
        if name.hasSuffix(".") { name = name.dropLast() }
        guard !name.isEmpty, !name.contains(where: { $0 == "/" || $0 == "@" || $0.isWhitespace }) else { return nil }
        return (String(name), port)
    }

    static let keys = ["listen", "token_file", "open_reads", "allowed_hosts", "header_timeout", "body_timeout", "max_connections"]

    /// Reads `http:`. Problems go to `reader`.
    static func read(_ node: Node, path: String, reader: inout ConfigReader) -> HTTPConfig {
        var config = HTTPConfig()
        guard let fields = reader.fields(node, path: path, allowed: keys) else { return config }
        if let value = fields["listen"], let listen = reader.string(value, path: fields.path("listen")) {
            if let problem = problem(listen: listen) {
                reader.report(.invalidValue, fields.path("listen"), problem, at: value)
            }
            config.listen = listen
        }
        config.tokenFile = fields["token_file"].flatMap { reader.name($0, path: fields.path("token_file"), what: "a file path") }
        if let value = fields["open_reads"], let open = reader.bool(value, path: fields.path("open_reads")) {
            config.openReads = open
        }
        if let value = fields["allowed_hosts"],
           let names = reader.nameList(value, path: fields.path("allowed_hosts"), what: "host name", nonEmpty: false) {
            for (index, name) in names.enumerated() where authority(name) == nil {
                reader.report(.invalidValue, "\(fields.path("allowed_hosts"))[\(index)]",
                              "must be a host name, name:port, [IPv6] or [IPv6]:port, not \"\(name)\"", at: value)
            }
            config.allowedHosts = names
        }
        if let value = fields["header_timeout"], let span = reader.timeSpan(value, path: fields.path("header_timeout")) {
            config.headerTimeout = span
        }
        if let value = fields["body_timeout"], let span = reader.timeSpan(value, path: fields.path("body_timeout")) {
            config.bodyTimeout = span
        }
        if let value = fields["max_connections"], let count = reader.positiveInt(value, path: fields.path("max_connections")) {
            config.maxConnections = count
        }
        return config
    }
}
