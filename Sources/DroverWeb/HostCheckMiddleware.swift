import DroverCore
import Hummingbird

/// Runs first on every request: refuses a `Host` the server was not configured to answer to.
///
/// Why: a page on another origin can have its own name resolve to 127.0.0.1 (DNS rebinding);
/// the browser then sends the page's requests to this server as same-origin, with
/// `Host: evil.example`, and with `open_reads` it would read queues, arguments and errors.
/// Checking the name closes that: loopback's names and the listen address by default, the
/// config's `http.allowed_hosts` for more. Refused with 421 Misdirected Request (RFC 9110
/// §15.5.20: the request went to a server that does not serve that name); a request without
/// `Host` is 400 (RFC 9112 §3.2).
struct HostCheckMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext

    /// Names accepted with any port.
    let names: Set<String>
    /// `name:port` entries accepted with that port only.
    let namesWithPort: Set<String>

    /// - Parameters:
    ///   - listenHost: the address the server binds (its name is accepted).
    ///   - allowed: the config's `allowed_hosts`.
    init(listenHost: String, allowed: [String]) {
        var names: Set<String> = ["localhost", "127.0.0.1", "[::1]"]
        names.insert(listenHost.contains(":") ? "[\(listenHost.lowercased())]" : listenHost.lowercased())
        var withPort: Set<String> = []
        for entry in allowed {
            guard let (name, port) = HTTPConfig.authority(entry) else { continue }
            if let port { withPort.insert("\(name):\(port)") } else { names.insert(name) }
        }
        self.names = names
        namesWithPort = withPort
    }

    func accepts(_ host: String) -> Bool {
        guard let (name, port) = HTTPConfig.authority(host) else { return false }
        // An IP address is no name a rebinding page controls: a client that typed it (a load
        // balancer's health check, an operator) reached the server by address.
        if Self.isIPLiteral(name) { return true }
        return names.contains(name) || port.map { namesWithPort.contains("\(name):\($0)") } == true
    }

    /// Whether `name` is an IPv4 dotted quad or a bracketed IPv6 address (RFC 3986 section 3.2.2).
    static func isIPLiteral(_ name: String) -> Bool {
        if name.hasPrefix("["), name.hasSuffix("]") {
            return name.dropFirst().dropLast().allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }
        }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in
            !part.isEmpty && part.count <= 3 && part.allSatisfy(\.isASCII) && part.allSatisfy(\.isNumber) && (Int(part) ?? 256) <= 255
        }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let host = request.head.authority, !host.isEmpty else {
            return WebError.badRequest("the request has no Host header").response
        }
        guard accepts(host) else {
            return WebError(.misdirectedRequest, "unknown_host",
                            "this server does not answer to the host name \"\(host)\": add it to http.allowed_hosts in the config").response
        }
        return try await next(request, context)
    }
}
