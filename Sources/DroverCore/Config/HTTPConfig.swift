import Foundation
internal import Yams

/// The HTTP API child: `http: { listen, token_file, open_reads }`. When present, the master
/// forks an http child.
public struct HTTPConfig: Sendable, Equatable {
    /// The address to listen on, `host:port` or `[v6]:port`.
    public var listen: String
    /// A file holding the bearer token the API requires.
    public var tokenFile: String?
    /// Whether reads (GET) are allowed without the token, for a dashboard on a trusted network.
    public var openReads: Bool

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

    static let keys = ["listen", "token_file", "open_reads"]

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
        return config
    }
}
