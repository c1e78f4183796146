import DroverTestSupport
import Foundation
import Glibc

/// A real `AF_UNIX`/`SOCK_DGRAM` socket standing in for systemd's notify socket: the test sets
/// `NOTIFY_SOCKET` to its path for the master and reads the datagrams `sd_notify(3)` sends
/// (Sidekiq's test/systemd_test.rb does the same). The path lives in a short private directory,
/// since `sun_path` holds 108 bytes.
final class NotifySocket: @unchecked Sendable {
    let directory: String
    let path: String
    private let fd: Int32
    /// Every message received so far, in order.
    private(set) var messages: [String] = []

    init() throws {
        var template = Array("/tmp/dn-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw TestFixtureError("mkdtemp failed") }
        directory = String(cString: made)
        path = directory + "/notify.sock"
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestFixtureError("socket failed: \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else { throw TestFixtureError("bind \(path) failed: \(errno)") }
    }

    deinit {
        close(fd)
        unlink(path)
        rmdir(directory)
    }

    /// Receives datagrams until one contains `text` as a whole line.
    /// - Returns: that message.
    /// - Throws: when `timeout` passes first.
    @discardableResult
    func await(_ text: String, timeout: Duration = .seconds(15)) throws -> String {
        let deadline = ContinuousClock.now + timeout
        var checked = 0
        while true {
            while checked < messages.count {
                let message = messages[checked]
                checked += 1
                if message.split(separator: "\n").contains(where: { $0 == text || $0.hasPrefix(text) }) { return message }
            }
            let left = deadline - ContinuousClock.now
            guard left > .zero else {
                throw TestFixtureError("no notify message \"\(text)\" within \(timeout); got \(messages)")
            }
            receive(waitingMilliseconds: Int32(min(1000, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1)))
        }
    }

    /// Reads whatever arrives within `milliseconds` (0: only what is already queued).
    func receive(waitingMilliseconds milliseconds: Int32) {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, milliseconds) > 0 else { return }
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if count <= 0 { return }
            messages.append(String(decoding: buffer[0..<count], as: UTF8.self))
        }
    }

    /// Index of the first message with a line starting with `prefix`.
    func index(of prefix: String) -> Int? {
        messages.firstIndex { $0.split(separator: "\n").contains { $0.hasPrefix(prefix) } }
    }
}
