import Dispatch
import DroverTestSupport
@testable import DroverWeb
import Foundation
import Testing

/// Slow and idle clients cannot hold the server (issue 15, item 8): partial requests are closed
/// after the header timeout, a body that trickles after the body timeout, and the connection cap
/// holds. The timeouts are set short here; the defaults are `HTTPConfig`'s.
@Suite(.serialized)
struct WebSlowClientTests {
    @Test func idlePartialRequestsDoNotHoldHealthzAndAreClosedAfterTheHeaderTimeout() async throws {
        try await WebHarness.with(configure: { $0.headerTimeout = .seconds(2) }) { web in
            let port = web.port
            let partial = try await offThePool { () throws -> [RawConnection] in
                try (0..<1100).map { index in
                    let connection = try RawConnection(port: port)
                    connection.send(index.isMultiple(of: 2) ? "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n" : "GET /hea")
                    return connection
                }
            }
            let asked = ContinuousClock.now
            let health = try await web.api.get("/healthz")
            #expect(health.status == 200, "\(health)")
            #expect(ContinuousClock.now - asked < .seconds(3), "/healthz answered promptly beside 1,100 partial requests")
            let all = partial
            let deadline = ContinuousClock.now + .seconds(20)
            let open = try await offThePool { all.filter { !$0.closedByServer(before: deadline) }.count }
            #expect(open == 0, "\(open) partial connections were still open 20 s after a 2 s header timeout")
        }
    }

    @Test func aBodyThatTricklesIsClosedAfterTheBodyTimeout() async throws {
        try await WebHarness.with(configure: { $0.headerTimeout = .seconds(60); $0.bodyTimeout = .seconds(1) }) { web in
            let connection = try RawConnection(port: web.port)
            connection.send("POST /api/v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(WebHarness.token)\r\n"
                            + "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"name\": \"x\", \"args\": \"")
            let started = ContinuousClock.now
            // A byte every 200 ms: each restarts Hummingbird's idle timer, not the body's.
            let closed = try await offThePool { connection.closedByServer(before: started + .seconds(10), trickling: "a") }
            #expect(closed, "a trickled body was cut off")
            #expect(ContinuousClock.now - started < .seconds(8))
            let queues = try await web.api.get("/api/v1/queues")
            #expect((queues.object["queues"] as? [Any])?.isEmpty == true, "nothing was written: \(queues)")
        }
    }

    @Test func beyondTheConnectionCapANewClientWaitsUntilOneCloses() async throws {
        try await WebHarness.with(configure: { $0.maxConnections = 1; $0.headerTimeout = .seconds(60) }) { web in
            // One kept-alive connection, surely accepted: it has had an answer.
            let first = try RawConnection(port: web.port)
            first.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            let answered = try await offThePool { first.received(before: ContinuousClock.now + .seconds(10)) }
            #expect(answered?.hasPrefix("HTTP/1.1 200") == true, "\(answered ?? "no answer")")
            let second = try RawConnection(port: web.port)
            second.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            let early = try await offThePool { second.received(before: ContinuousClock.now + .seconds(1)) }
            #expect(early == nil, "the second connection waits while the first holds the only place: \(early ?? "")")
            first.close()
            let late = try await offThePool { second.received(before: ContinuousClock.now + .seconds(10)) }
            #expect(late?.hasPrefix("HTTP/1.1 200") == true, "answered once the first closed: \(late ?? "no answer")")
        }
    }
}

/// Runs blocking socket waits on a Dispatch thread, never on Swift's cooperative pool, which the
/// server in this process needs.
func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, any Error>, Never>) in
        DispatchQueue.global().async { continuation.resume(returning: Result { try body() }) }
    }
    return try result.get()
}

/// A client socket that a test holds open: it sends what it is told and watches for the
/// server's answer or close. Used from one thread at a time.
final class RawConnection: @unchecked Sendable {
    private var fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFixtureError("socket failed: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            Glibc.close(fd)
            throw TestFixtureError("connect to port \(port) failed: errno \(errno)")
        }
    }

    deinit { close() }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            sent += n
        }
    }

    /// Whether the server closes the connection before `deadline`; `trickling` is sent every
    /// 200 ms meanwhile, as a slow client sends its body.
    func closedByServer(before deadline: ContinuousClock.Instant, trickling: String? = nil) -> Bool {
        var nextByte = ContinuousClock.now + .milliseconds(200)
        while ContinuousClock.now < deadline {
            if let trickling, ContinuousClock.now >= nextByte {
                send(trickling)
                nextByte = ContinuousClock.now + .milliseconds(200)
            }
            let limit = trickling == nil ? deadline : min(deadline, nextByte)
            var watched = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let left = limit - ContinuousClock.now
            let milliseconds = Int32(max(1, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000))
            if poll(&watched, 1, milliseconds) > 0 {
                var buffer = [UInt8](repeating: 0, count: 4096)
                if recv(fd, &buffer, buffer.count, 0) <= 0 { return true }
            }
        }
        return false
    }

    /// The first bytes the server sends before `deadline`, or nil.
    func received(before deadline: ContinuousClock.Instant) -> String? {
        while ContinuousClock.now < deadline {
            var watched = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let left = deadline - ContinuousClock.now
            let milliseconds = Int32(max(1, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000))
            guard poll(&watched, 1, milliseconds) > 0 else { continue }
            var buffer = [UInt8](repeating: 0, count: 65536)
            let n = recv(fd, &buffer, buffer.count, 0)
            return n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : nil
        }
        return nil
    }
}
