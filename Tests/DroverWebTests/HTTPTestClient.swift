import Dispatch
import DroverTestSupport
import Foundation

/// One HTTP response as a test sees it.
struct HTTPReply: Sendable, CustomStringConvertible {
    var status: Int
    var headers: [String: String]
    var body: String

    /// The body parsed as JSON (Foundation's parser: tests compare values, not text).
    var json: Any? { try? JSONSerialization.jsonObject(with: Data(body.utf8), options: [.fragmentsAllowed]) }
    var object: [String: Any] { json as? [String: Any] ?? [:] }
    var errorCode: String? { (object["error"] as? [String: Any])?["code"] as? String }
    var description: String { "\(status) \(body.prefix(400))" }
}

/// A tiny HTTP/1.1 client over a plain socket, one connection per request (`Connection:
/// close`), so a test controls every byte (oversized bodies, missing headers). The blocking
/// I/O runs on a Dispatch thread: never on Swift's cooperative pool, which the server in the
/// same process needs to answer.
struct HTTPTestClient: Sendable {
    var port: Int
    var token: String?

    func get(_ path: String, token: String?? = nil) async throws -> HTTPReply {
        try await send("GET", path, token: token)
    }

    func post(_ path: String, _ body: String? = nil, token: String?? = nil) async throws -> HTTPReply {
        try await send("POST", path, body: body, token: token)
    }

    func delete(_ path: String, token: String?? = nil) async throws -> HTTPReply {
        try await send("DELETE", path, token: token)
    }

    /// Sends a request; `token` overrides the client's (`.some(nil)`: no header at all).
    func send(_ method: String, _ path: String, body: String? = nil, token: String?? = nil,
              headers extra: [String: String] = [:]) async throws -> HTTPReply {
        let bearer = token ?? self.token
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        if let bearer { head += "Authorization: Bearer \(bearer)\r\n" }
        for (name, value) in extra { head += "\(name): \(value)\r\n" }
        if let body { head += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n" }
        return try await sendRaw(head + "\r\n" + (body ?? ""))
    }

    /// Sends `text` exactly as given (a malformed request) and reads the reply; `halfClose`
    /// then ends the client's side of the stream (`shutdown(SHUT_WR)`), as a client that sent
    /// all it meant to send does.
    func sendRaw(_ text: String, halfClose: Bool = false) async throws -> HTTPReply {
        let request = Array(text.utf8)
        let port = self.port
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try Self.exchange(request, port: port, halfClose: halfClose) })
            }
        }
    }

    private static func exchange(_ request: [UInt8], port: Int, halfClose: Bool) throws -> HTTPReply {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFixtureError("socket failed") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw TestFixtureError("connect to port \(port) failed: errno \(errno)") }
        var sent = 0
        while sent < request.count {
            let n = request[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { break }  // the server may answer (413) and close before reading it all
            sent += n
        }
        if halfClose { shutdown(fd, Int32(SHUT_WR)) }
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            data += buffer[0..<n]
        }
        return try parse(data)
    }

    static func parse(_ data: [UInt8]) throws -> HTTPReply {
        let text = String(decoding: data, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { throw TestFixtureError("no HTTP response: \(text.prefix(200))") }
        let lines = text[..<split.lowerBound].components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw TestFixtureError("bad status line \(lines[0])") }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = String(text[split.upperBound...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" { body = dechunk(body) }
        return HTTPReply(status: status, headers: headers, body: body)
    }

    private static func dechunk(_ text: String) -> String {
        var bytes = Array(text.utf8)[...]
        var out: [UInt8] = []
        while let lineEnd = bytes.firstIndex(of: 0x0D) {
            let size = Int(String(decoding: bytes[bytes.startIndex..<lineEnd], as: UTF8.self), radix: 16) ?? 0
            if size == 0 { break }
            let start = lineEnd + 2
            out += bytes[start..<min(start + size, bytes.endIndex)]
            bytes = bytes[min(start + size + 2, bytes.endIndex)...]
        }
        return String(decoding: out, as: UTF8.self)
    }
}
