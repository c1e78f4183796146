@testable import DroverQueue
import DroverCore
import DroverRedis
import DroverTestSupport
import Foundation
import Testing

/// The retry after a lost reply kills the lost connection at the server first, so that its
/// request, still in flight, cannot run after the retry and add a second copy (a plain
/// transaction has no id check). A loopback proxy holds the first connection's request back,
/// as a slow network would, until the retry is done, then delivers it.
@Suite struct EnqueueFenceTests {
    @Test func aRequestStillInFlightCannotRunAfterItsRetry() throws {
        let redis = try RedisServer(tcp: true)
        let proxy = try HoldingProxy(to: try #require(redis.port))
        defer { proxy.stop() }
        var options = RedisClient.Options(url: try RedisURL(parsing: "redis://127.0.0.1:\(proxy.port)"))
        options.commandTimeout = .milliseconds(200)
        let store = JobStore(client: RedisClient(options: options))
        try store.client.command("PING")
        proxy.holdFirstConnection()
        let result = try store.enqueue(EnqueueRequest(name: "once"))
        // The held request reaches Redis now, followed by a PING: Redis answers both, or has
        // closed that connection.
        let ranLate = proxy.releaseFirstConnection()
        #expect(!ranLate, "the lost request ran after its retry")
        let check = redis.client()
        #expect(try check.command("LRANGE", "{drover}:queue:default:0", "0", "-1").array?.compactMap(\.string)
            == [result.id.rawValue])
        #expect(try check.command("HGET", "{drover}:stats:default", "enqueued").string == "1")
    }
}

/// A TCP proxy on loopback that can hold back what the client of its first connection sends.
final class HoldingProxy: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let target: Int
    private let condition = NSCondition()
    private var connections: [(client: Int32, server: Int32)] = []
    private var holding = false
    private var held: [UInt8] = []
    private var fromServer: [UInt8] = []
    private var serverClosed = false

    init(to target: Int) throws {
        self.target = target
        port = try FreePort.pick()
        listener = try HoldingProxy.listen(port: port)
        Thread { self.acceptLoop() }.start()
    }

    /// Closes every socket, which ends the proxy's threads.
    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        condition.lock()
        for connection in connections {
            shutdown(connection.client, Int32(SHUT_RDWR))
            shutdown(connection.server, Int32(SHUT_RDWR))
        }
        condition.unlock()
    }

    func holdFirstConnection() {
        condition.lock()
        holding = true
        fromServer = []
        condition.unlock()
    }

    /// Sends what was held, then a PING, on the first connection's server side; returns whether
    /// Redis ran it (answered the PING) rather than having closed the connection.
    func releaseFirstConnection() -> Bool {
        condition.lock()
        let bytes = held + Array("PING\r\n".utf8)
        holding = false
        let server = connections[0].server
        condition.unlock()
        _ = bytes.withUnsafeBytes { send(server, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        let deadline = Date().addingTimeInterval(5)
        condition.lock()
        defer { condition.unlock() }
        while !serverClosed, !String(decoding: fromServer, as: UTF8.self).contains("+PONG") {
            if !condition.wait(until: deadline) { break }
        }
        return String(decoding: fromServer, as: UTF8.self).contains("+PONG")
    }

    private static func listen(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard fd >= 0, bound == 0, Glibc.listen(fd, 16) == 0 else { throw TestFixtureError("proxy: cannot listen") }
        return fd
    }

    private func connectTarget() -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(target).bigEndian)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return fd
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 { return }
            let server = connectTarget()
            condition.lock()
            let index = connections.count
            connections.append((client, server))
            condition.unlock()
            Thread { self.pump(from: client, to: server, clientSide: true, first: index == 0) }.start()
            Thread { self.pump(from: server, to: client, clientSide: false, first: index == 0) }.start()
        }
    }

    /// Copies one direction. The first connection's client bytes are kept while holding; its
    /// server side stays open after its client leaves (as a request in flight would), and what
    /// the server sends on it is recorded.
    private func pump(from source: Int32, to destination: Int32, clientSide: Bool, first: Bool) {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(source, $0.baseAddress, $0.count, 0) }
            if n <= 0 {
                if first && !clientSide {
                    condition.lock()
                    serverClosed = true
                    condition.broadcast()
                    condition.unlock()
                }
                if !first || !clientSide { shutdown(destination, Int32(SHUT_WR)) }
                return
            }
            let chunk = Array(buffer[0..<n])
            condition.lock()
            if first && clientSide && holding {
                held += chunk
                condition.unlock()
                continue
            }
            if first && !clientSide {
                fromServer += chunk
                condition.broadcast()
            }
            condition.unlock()
            _ = chunk.withUnsafeBytes { send(destination, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }
    }
}
