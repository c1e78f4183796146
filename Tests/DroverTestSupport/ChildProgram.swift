import DroverSystem
import Foundation

/// A program started by a test (redis-server, the drover binary), with its output captured and
/// its lifetime owned: `terminate` sends a signal and reaps it, and `deinit` does the same, so no
/// test leaves a process behind.
public final class ChildProgram: @unchecked Sendable {
    /// The process id.
    public let pid: ProcessID
    /// The read end of the program's stdout and stderr.
    public let output: FileDescriptor
    /// Everything read from the output so far.
    public private(set) var seen = ""
    private var status: WaitStatus?

    init(pid: ProcessID, output: FileDescriptor) {
        self.pid = pid
        self.output = output
    }

    /// Starts a program and, when `awaiting` is given, waits for that text in its output.
    public static func start(_ path: String, _ arguments: [String], environment: [String: String]? = nil,
                             awaiting: String? = nil, timeout: Duration = .seconds(10)) throws -> ChildProgram {
        let pipe = try DroverSystem.Pipe()
        var spawn = Spawn(path: path, arguments: arguments, environment: environment)
        spawn.standardOutput = pipe.writeEnd
        spawn.standardError = pipe.writeEnd
        spawn.standardInput = try FileDescriptor(owning: open("/dev/null", O_RDONLY | O_CLOEXEC))
        let pid = try spawn.run()
        try pipe.writeEnd.close()
        let program = ChildProgram(pid: pid, output: pipe.readEnd)
        if let awaiting { try program.await(awaiting, timeout: timeout) }
        return program
    }

    /// Reads output until `text` (case-insensitive) appears after what was already matched.
    /// - Returns: everything read so far.
    /// - Throws: when the program exits or `timeout` passes first.
    @discardableResult
    public func await(_ text: String, timeout: Duration = .seconds(10)) throws -> String {
        let deadline = ContinuousClock.now + timeout
        let needle = text.lowercased()
        while true {
            if seen.lowercased().contains(needle) { return seen }
            let left = deadline - ContinuousClock.now
            if left <= .zero { break }
            var pfd = pollfd(fd: output.rawValue, events: Int16(POLLIN), revents: 0)
            let ms = Int32(min(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000, 1000))
            if poll(&pfd, 1, max(ms, 1)) > 0 {
                var buffer = [UInt8](repeating: 0, count: 65536)
                let n = read(output.rawValue, &buffer, buffer.count)
                if n <= 0 { break }
                seen += String(decoding: buffer[0..<n], as: UTF8.self)
            }
        }
        throw TestFixtureError("did not see \"\(text)\"; output so far:\n\(seen)")
    }

    /// Reads whatever output is available now, without waiting.
    public func drain() -> String {
        var pfd = pollfd(fd: output.rawValue, events: Int16(POLLIN), revents: 0)
        while poll(&pfd, 1, 0) > 0 {
            var buffer = [UInt8](repeating: 0, count: 65536)
            let n = read(output.rawValue, &buffer, buffer.count)
            if n <= 0 { break }
            seen += String(decoding: buffer[0..<n], as: UTF8.self)
        }
        return seen
    }

    /// Sends a signal without waiting.
    public func send(_ signal: DroverSystem.Signal) {
        try? Posix.kill(pid, signal)
    }

    /// Waits for the program to exit and returns how it ended.
    @discardableResult
    public func waitForExit() -> WaitStatus {
        if let status { return status }
        // Reads the output while waiting: a program that logs more than a pipe holds (64 KiB)
        // would otherwise block in write(2) and never exit (a master's debug log at a cold stop).
        var outputOpen = true
        while true {
            do {
                if let ended = try Posix.tryWait(pid) {
                    status = ended
                    _ = drain()
                    return ended
                }
            } catch {
                status = .exited(-1)
                return .exited(-1)
            }
            // The exit has no descriptor to wait on here; the output does, until it closes.
            var pfd = pollfd(fd: output.rawValue, events: Int16(POLLIN), revents: 0)
            if poll(&pfd, outputOpen ? 1 : 0, 5) > 0 {
                var buffer = [UInt8](repeating: 0, count: 65536)
                let n = read(output.rawValue, &buffer, buffer.count)
                if n > 0 { seen += String(decoding: buffer[0..<n], as: UTF8.self) } else { outputOpen = false }
            }
        }
    }

    /// Sends `signal` (TERM by default) and waits for the exit.
    @discardableResult
    public func terminate(signal: DroverSystem.Signal = .term) -> WaitStatus {
        if let status { return status }
        send(signal)
        return waitForExit()
    }

    deinit {
        if status == nil {
            try? Posix.kill(pid, .kill)
            _ = try? Posix.wait(pid)
        }
    }
}
