import Foundation
import Glibc
import Logging
import Synchronization

/// Where `drover worker` logs: stderr, or a file reopened on USR1 (logrotate's `lastaction`;
/// never copytruncate, as Unicorn's examples/logrotate.conf explains).
///
/// Writes are synchronous `write(2)` calls on an `O_APPEND` descriptor: no thread, no queue, so
/// the single-threaded master stays single-threaded, and a line is never half-written between
/// two processes (master and children share the descriptor after fork).
final class LogSink: Sendable {
    private let path: String?
    private let descriptor: Mutex<Int32>

    /// Logs to `path`, or stderr when nil.
    /// - Throws: when the file cannot be opened.
    init(path: String?) throws {
        self.path = path
        descriptor = Mutex(try path.map(Self.open) ?? STDERR_FILENO)
    }

    private static func open(_ path: String) throws -> Int32 {
        let fd = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw CLIFailure(status: ExitStatus.failure, message: "cannot open log file \(path): \(String(cString: strerror(errno)))")
        }
        return fd
    }

    /// Writes one line.
    func write(_ line: String) {
        descriptor.withLock { fd in
            var bytes = Array(line.utf8)
            bytes.append(UInt8(ascii: "\n"))
            _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        }
    }

    /// USR1: opens the path again (the old file was renamed away) and swaps descriptors.
    func reopen() {
        guard let path, let fresh = try? Self.open(path) else { return }
        descriptor.withLock { fd in
            let old = fd
            fd = fresh
            Glibc.close(old)
        }
    }
}

/// A swift-log handler writing `TIME LEVEL [pid] label: message key=value` lines to a ``LogSink``.
struct SinkLogHandler: LogHandler {
    let label: String
    let sink: LogSink
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { _, new in new } }
        var text = "\(Self.timestamp()) \(event.level) [\(getpid())] \(label): \(event.message)"
        for key in all.keys.sorted() { text += " \(key)=\(all[key]!)" }
        sink.write(text)
    }

    /// UTC, RFC 3339 with milliseconds, from `clock_gettime` and `gmtime_r` (no formatter
    /// objects in the master).
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var parts = tm()
        var seconds = now.tv_sec
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(now.tv_nsec / 1_000_000), 3))Z"
    }
}
