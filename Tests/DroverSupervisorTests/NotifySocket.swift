import DroverTestSupport
import Foundation
import Glibc
import Synchronization

/// A real `AF_UNIX`/`SOCK_DGRAM` socket standing in for systemd's notify socket: the test sets
/// `NOTIFY_SOCKET` to its path for the master and reads the datagrams `sd_notify(3)` sends
/// (Sidekiq's test/systemd_test.rb does the same). The path lives in a short private directory,
/// since `sun_path` holds 108 bytes.
///
/// A thread reads all the time, as systemd does: a datagram socket queues only
/// `net.unix.max_dgram_qlen` (10) messages, and past that `sd_notify` blocks its sender.
final class NotifySocket: @unchecked Sendable {
    let directory: String
    let path: String
    private let fd: Int32
    private let received = Mutex<[String]>([])
    private let stopped = Atomic<Bool>(false)
    private let done = DispatchSemaphore(value: 0)
    /// Messages before this index were already matched by ``await(_:timeout:)``.
    private var consumed = 0

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
        let thread = Thread { [self] in readLoop() }
        thread.start()
    }

    deinit {
        stopped.store(true, ordering: .relaxed)
        done.wait()
        close(fd)
        unlink(path)
        rmdir(directory)
    }

    private func readLoop() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !stopped.load(ordering: .relaxed) {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 50) > 0 else { continue }
            let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if count > 0 {
                let message = String(decoding: buffer[0..<count], as: UTF8.self)
                received.withLock { $0.append(message) }
            }
        }
        done.signal()
    }

    /// Every message received so far, in order.
    var messages: [String] { received.withLock { $0 } }

    /// Waits until a message after the last matched one has a line starting with `text`, so
    /// awaiting `READY=1` twice waits for a second one.
    /// - Returns: that message.
    /// - Throws: when `timeout` passes first.
    @discardableResult
    func await(_ text: String, timeout: Duration = .seconds(15)) throws -> String {
        let deadline = ContinuousClock.now + timeout
        while true {
            let all = messages
            while consumed < all.count {
                let message = all[consumed]
                consumed += 1
                if message.split(separator: "\n").contains(where: { $0.hasPrefix(text) }) { return message }
            }
            guard ContinuousClock.now < deadline else {
                throw TestFixtureError("no notify message \"\(text)\" within \(timeout); got \(all)")
            }
            usleep(1000)
        }
    }

    /// Index of the first message with a line starting with `prefix`.
    func index(of prefix: String) -> Int? {
        messages.firstIndex { $0.split(separator: "\n").contains { $0.hasPrefix(prefix) } }
    }
}
