import DroverCore
import DroverSystem

/// One line a child writes to its pipe to the master (docs/internals.md: the child says
/// when it starts and ends a job, with id and limits, and beats while idle).
///
/// The wire form is one short ASCII line, so a line is written with one `write(2)` under
/// `PIPE_BUF` bytes and never interleaves with another:
/// - `start ID LEASE SOFT_MS HARD_MS START_NS RETRY_MS` (a limit of `-` means none; the start
///   instant on `CLOCK_MONOTONIC`, optional; then, optional, when a run killed at its hard limit
///   is retried: after RETRY_MS, or `-` for never, its attempts spent),
/// - `end ID`,
/// - `fetch T` (a fetching call goes to Redis with clock T: ms since the epoch),
/// - `beat`,
/// - `bye` (the child will exit after this: `max_jobs` reached),
/// - `prog PID` / `progend PID` (an exec program's process group started / ended).
/// An id is percent-escaped where it holds `%`, a space or a line break, so it stays one field.
public enum ChildMessage: Hashable, Sendable {
    /// A job started under `lease`, with its effective limits in milliseconds, at `at` on the
    /// child's `CLOCK_MONOTONIC` (the master may read the line up to a second later, and the
    /// limits count from the start, not from the reading).
    /// `retryAfterTimeLimit`: if this run is killed at its hard limit, its retry delay in ms per
    /// its policy (the handler's, which only the child knows, else the job's), or
    /// ``noRetry`` when its attempts are spent; nil when not given.
    case started(id: JobID, lease: Int, softMilliseconds: Int64?, hardMilliseconds: Int64?, at: MonotonicClock.Instant? = nil,
                 retryAfterTimeLimit: Int64? = nil)
    /// The job's outcome was recorded.
    case ended(id: JobID)
    /// A call that may take a job (a fetch, or a finish that fetches the next) goes to Redis
    /// with this clock. Until the next `start` or `beat`, such a job may be started in Redis
    /// with no one running it if this child dies: the master then gets it back by that clock
    /// (`JobStore.releaseLostFetch`).
    case fetching(clock: Int64)
    /// Idle and alive.
    case beat
    /// About to exit by itself (max_jobs): the master forks its replacement now, before the
    /// exit, instead of after reaping it.
    case leaving
    /// An exec job's program started in a process group of its own (its pgid is its pid): if
    /// this child dies, the master kills that group too.
    case program(ProcessID)
    /// That program ended.
    case programEnded(ProcessID)

    /// A `retryAfterTimeLimit` that means: no retry, the job fails.
    public static let noRetry: Int64 = -1

    /// The master's longest sleep: it wakes at least this often and reads every child's pipe then.
    public static let masterLongestSleep: Duration = .seconds(1)

    /// A start whose soft or hard limit is under this must reach the master at once; a longer
    /// limit leaves room to read the line at the master's next regular wake-up
    /// (``masterLongestSleep``) and still act on time, since the line carries the start instant.
    public static let promptLimitMilliseconds: Int64 = 3000

    /// Whether the master must read this line now (``MasterChannel`` rings its doorbell) rather
    /// than at its next regular wake-up: a start with a short limit, or `bye` (the master forks
    /// the replacement before the child exits).
    public var needsPromptReading: Bool {
        switch self {
        case let .started(_, _, soft, hard, _, _):
            return [soft, hard].contains { $0.map { $0 < Self.promptLimitMilliseconds } ?? false }
        case .leaving:
            return true
        case .ended, .fetching, .beat, .program, .programEnded:
            return false
        }
    }

    /// The line, with its trailing newline.
    public var line: String {
        switch self {
        case let .started(id, lease, soft, hard, at, retry):
            var start = at.map { " \($0.nanoseconds)" } ?? ""
            if let retry {
                if at == nil { start = " 0" }
                start += retry < 0 ? " -" : " \(retry)"
            }
            return "start \(Self.escape(id.rawValue)) \(lease) \(soft.map(String.init) ?? "-") \(hard.map(String.init) ?? "-")\(start)\n"
        case let .ended(id):
            return "end \(Self.escape(id.rawValue))\n"
        case let .fetching(clock):
            return "fetch \(clock)\n"
        case .beat:
            return "beat\n"
        case .leaving:
            return "bye\n"
        case let .program(pid):
            return "prog \(pid.rawValue)\n"
        case let .programEnded(pid):
            return "progend \(pid.rawValue)\n"
        }
    }

    /// Parses one line, without its newline.
    /// - Returns: nil for anything malformed; the master logs and ignores it rather than trust it.
    public init?(line: Substring) {
        self.init(bytes: ArraySlice(line.utf8))
    }

    /// Parses one line's bytes, without its newline, field by field in place: the master reads
    /// two lines per job, and splitting them into strings was most of its CPU.
    /// - Returns: nil for anything malformed.
    public init?(bytes line: ArraySlice<UInt8>) {
        var fields = FieldCursor(line)
        guard let kind = fields.next() else { return nil }
        if kind.elementsEqual("start".utf8) {
            guard let idField = fields.next(), let id = Self.unescape(idField),
                  let leaseField = fields.next(), let lease = Self.integer(leaseField),
                  let softField = fields.next(), let soft = Self.limit(softField),
                  let hardField = fields.next(), let hard = Self.limit(hardField) else { return nil }
            var at: MonotonicClock.Instant?
            var retry: Int64?
            if let nanosecondsField = fields.next() {
                guard let nanoseconds = Self.integer(nanosecondsField) else { return nil }
                at = MonotonicClock.Instant(nanoseconds: nanoseconds)
                if let retryField = fields.next() {
                    guard let delay = Self.limit(retryField) else { return nil }
                    retry = delay ?? Self.noRetry
                }
            }
            guard fields.next() == nil else { return nil }
            self = .started(id: JobID(id), lease: Int(lease), softMilliseconds: soft, hardMilliseconds: hard, at: at,
                            retryAfterTimeLimit: retry)
        } else if kind.elementsEqual("end".utf8) {
            guard let idField = fields.next(), let id = Self.unescape(idField), fields.next() == nil else { return nil }
            self = .ended(id: JobID(id))
        } else if kind.elementsEqual("fetch".utf8) {
            guard let clockField = fields.next(), let clock = Self.integer(clockField), fields.next() == nil else { return nil }
            self = .fetching(clock: clock)
        } else if kind.elementsEqual("beat".utf8) {
            guard fields.next() == nil else { return nil }
            self = .beat
        } else if kind.elementsEqual("bye".utf8) {
            guard fields.next() == nil else { return nil }
            self = .leaving
        } else if kind.elementsEqual("prog".utf8) || kind.elementsEqual("progend".utf8) {
            guard let pidField = fields.next(), let pid = Self.integer(pidField), pid > 1, pid <= Int64(Int32.max),
                  fields.next() == nil else { return nil }
            let group = ProcessID(rawValue: Int32(pid))
            self = kind.elementsEqual("prog".utf8) ? .program(group) : .programEnded(group)
        } else {
            return nil
        }
    }

    /// The space-separated fields of a line, in place; empty fields count (`a  b` has three).
    private struct FieldCursor {
        let line: ArraySlice<UInt8>
        var position: Int
        var done = false

        init(_ line: ArraySlice<UInt8>) {
            self.line = line
            position = line.startIndex
        }

        mutating func next() -> ArraySlice<UInt8>? {
            guard !done else { return nil }
            let end = line[position...].firstIndex(of: UInt8(ascii: " ")) ?? line.endIndex
            defer {
                if end == line.endIndex { done = true } else { position = end + 1 }
            }
            return line[position..<end]
        }
    }

    /// A non-negative decimal number up to `Int64.max`, leading zeros allowed; no sign, since
    /// the child writes none. Anything a job's own limits can hold must parse: a refused `start`
    /// line would leave the master without the job, so without its limits and its recovery.
    private static func integer(_ field: ArraySlice<UInt8>) -> Int64? {
        guard !field.isEmpty else { return nil }
        var value: Int64 = 0
        for byte in field {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (times10, overflowed) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowedAgain) = times10.addingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
            guard !overflowed, !overflowedAgain else { return nil }
            value = sum
        }
        return value
    }

    /// A limit field: `-` is none (`.some(nil)`), a bad number is nil.
    private static func limit(_ field: ArraySlice<UInt8>) -> Int64?? {
        if field.elementsEqual("-".utf8) { return .some(nil) }
        guard let value = integer(field) else { return nil }
        return .some(value)
    }

    static func escape(_ text: String) -> String {
        // Ids are plain almost always: keep the string as it is, without copying it per job.
        guard text.utf8.contains(where: { $0 == 0x25 || $0 == 0x20 || $0 == 0x0A || $0 == 0x0D }) else { return text }
        // Byte by byte, as the master splits lines: a space followed by a combining mark is one
        // Character, and must still be escaped.
        var out: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case 0x25: out += Array("%25".utf8)
            case 0x20: out += Array("%20".utf8)
            case 0x0A: out += Array("%0A".utf8)
            case 0x0D: out += Array("%0D".utf8)
            default: out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func unescape(_ bytes: ArraySlice<UInt8>) -> String? {
        guard !bytes.isEmpty else { return nil }
        guard bytes.contains(UInt8(ascii: "%")) else { return String(decoding: bytes, as: UTF8.self) }
        // Byte by byte, as `escape` wrote it.
        var out: [UInt8] = []
        var index = bytes.startIndex
        while index < bytes.endIndex {
            guard bytes[index] == UInt8(ascii: "%") else {
                out.append(bytes[index])
                index += 1
                continue
            }
            guard bytes.endIndex - index >= 3 else { return nil }
            let code = bytes[(index + 1)..<(index + 3)]
            if code.elementsEqual("20".utf8) {
                out.append(0x20)
            } else if code.elementsEqual("0A".utf8) {
                out.append(0x0A)
            } else if code.elementsEqual("0D".utf8) {
                out.append(0x0D)
            } else if code.elementsEqual("25".utf8) {
                out.append(0x25)
            } else {
                return nil
            }
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
