import DroverTestSupport
import Foundation

/// Headless Chromium driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`:
/// JSON messages, each ended by a NUL byte, read on the browser's fd 3 and written on its fd 4),
/// so a test can type and click as a user does: `Input.*` events reach the page as trusted
/// events, which the dashboard requires for anything that changes state.
///
/// Every call blocks (bounded by `timeout`); tests run it off Swift's cooperative pool
/// (`DevToolsSession.run`).
final class ChromiumDevTools {
    private let process: Process
    private let toBrowser: Int32
    private let fromBrowser: Int32
    private var nextID = 0
    private var buffer: [UInt8] = []
    private let directory: URL

    /// Starts chromium with `profile` (kept across runs, like a user's browser).
    init(chromium: String, profile: URL, windowSize: String = "1280,1000") throws {
        directory = profile.deletingLastPathComponent().appendingPathComponent("cdp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: profile, withIntermediateDirectories: true)
        let input = directory.appendingPathComponent("in").path
        let output = directory.appendingPathComponent("out").path
        guard mkfifo(input, 0o600) == 0, mkfifo(output, 0o600) == 0 else { throw TestFixtureError("mkfifo failed: errno \(errno)") }
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        // The shell opens the pipes as fds 3 and 4 for the browser it becomes.
        process.arguments = ["-c", "exec \"$0\" \"$@\" 3<'\(input)' 4>'\(output)'", chromium,
                             "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                             "--remote-debugging-pipe", "--window-size=\(windowSize)", "--user-data-dir=\(profile.path)",
                             "about:blank"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // In the order the shell opens them: each open waits for the other side.
        toBrowser = Glibc.open(input, O_WRONLY)
        fromBrowser = Glibc.open(output, O_RDONLY)
        guard toBrowser >= 0, fromBrowser >= 0 else { throw TestFixtureError("cannot open the DevTools pipes: errno \(errno)") }
    }

    deinit {
        if process.isRunning { process.terminate() }
        Glibc.close(toBrowser)
        Glibc.close(fromBrowser)
        try? FileManager.default.removeItem(at: directory)
    }

    /// Sends a command and returns its `result`; `session` addresses a page.
    @discardableResult
    func call(_ method: String, _ params: [String: Any] = [:], session: String? = nil,
              timeout: Duration = .seconds(20)) throws -> [String: Any] {
        nextID += 1
        var message: [String: Any] = ["id": nextID, "method": method, "params": params]
        if let session { message["sessionId"] = session }
        var bytes = [UInt8](try JSONSerialization.data(withJSONObject: message))
        bytes.append(0)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { write(toBrowser, $0.baseAddress, $0.count) }
            guard n > 0 else { throw TestFixtureError("writing to chromium failed: errno \(errno)") }
            sent += n
        }
        let deadline = ContinuousClock.now + timeout
        while true {
            let reply = try readMessage(until: deadline)
            guard reply["id"] as? Int == nextID else { continue }  // an event, or an older reply
            if let error = reply["error"] { throw TestFixtureError("\(method): \(error)") }
            return reply["result"] as? [String: Any] ?? [:]
        }
    }

    private func readMessage(until deadline: ContinuousClock.Instant) throws -> [String: Any] {
        while true {
            if let end = buffer.firstIndex(of: 0) {
                let message = Data(buffer[..<end])
                buffer.removeSubrange(...end)
                return (try JSONSerialization.jsonObject(with: message)) as? [String: Any] ?? [:]
            }
            let left = deadline - ContinuousClock.now
            guard left > .zero else { throw TestFixtureError("chromium did not answer in time") }
            var watched = pollfd(fd: fromBrowser, events: Int16(POLLIN), revents: 0)
            let milliseconds = Int32(min(1000, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000))
            if poll(&watched, 1, max(1, milliseconds)) <= 0 { continue }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = read(fromBrowser, &chunk, chunk.count)
            guard n > 0 else { throw TestFixtureError("chromium closed its DevTools pipe") }
            buffer += chunk[0..<n]
        }
    }

    /// Opens `url` in a new tab (a fresh document, as a link from another site opens it) and
    /// returns the tab's session.
    func open(_ url: String) throws -> String {
        let target = try call("Target.createTarget", ["url": url])["targetId"] as? String ?? ""
        let session = try call("Target.attachToTarget", ["targetId": target, "flatten": true])["sessionId"] as? String
        guard let session else { throw TestFixtureError("no session for \(url)") }
        return session
    }

    /// The value of a JavaScript expression in the page.
    func evaluate(_ expression: String, in session: String) throws -> Any? {
        let result = try call("Runtime.evaluate", ["expression": expression, "returnByValue": true], session: session)
        return (result["result"] as? [String: Any])?["value"]
    }

    /// Polls `expression` until it is true.
    func waitFor(_ expression: String, in session: String, timeout: Duration = .seconds(20)) throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try evaluate(expression, in: session) as? Bool == true { return }
            usleep(50_000)
        }
        throw TestFixtureError("\(expression) did not become true within \(timeout)")
    }

    /// A left click in the middle of the element `selector` finds, as a mouse makes it.
    func click(_ selector: String, in session: String) throws {
        let literal = String(decoding: try JSONSerialization.data(withJSONObject: [selector]), as: UTF8.self)
        let point = try evaluate("""
            (() => { const e = document.querySelector(\(literal)[0]); if (!e) return null;
              e.scrollIntoView({block: "center"}); const r = e.getBoundingClientRect();
              return [r.x + r.width / 2, r.y + r.height / 2]; })()
            """, in: session) as? [Double]
        guard let point, point.count == 2 else { throw TestFixtureError("nothing matches \(selector)") }
        for type in ["mousePressed", "mouseReleased"] {
            try call("Input.dispatchMouseEvent", ["type": type, "x": point[0], "y": point[1], "button": "left", "clickCount": 1],
                     session: session)
        }
    }

    /// Types `text` into the element `selector` finds, as a keyboard does.
    func typeText(_ text: String, into selector: String, in session: String) throws {
        try click(selector, in: session)
        try call("Input.insertText", ["text": text], session: session)
    }

    /// Closes the browser (it writes its profile, `localStorage` included) and waits for it.
    func close() {
        _ = try? call("Browser.close", timeout: .seconds(10))
        let deadline = ContinuousClock.now + .seconds(20)
        while process.isRunning && ContinuousClock.now < deadline { usleep(50_000) }
        if process.isRunning { process.terminate() }
    }

    /// Runs `body` with a browser on a Dispatch thread, never on Swift's cooperative pool, and
    /// closes the browser after it.
    static func session<T: Sendable>(chromium: String, profile: URL,
                                     _ body: @escaping @Sendable (ChromiumDevTools) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result {
                    let browser = try ChromiumDevTools(chromium: chromium, profile: profile)
                    defer { browser.close() }
                    return try body(browser)
                })
            }
        }
    }
}
