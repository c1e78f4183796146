import DroverCore
import DroverSystem

/// One line a child writes to its pipe to the master (DESIGN.md "Supervisor": the child says
/// when it starts and ends a job, with id and limits, and beats while idle).
///
/// The wire form is one short ASCII line, so a line is written with one `write(2)` under
/// `PIPE_BUF` bytes and never interleaves with another:
/// - `start ID LEASE SOFT_MS HARD_MS START_NS` (a limit of `-` means none; the start instant on
///   `CLOCK_MONOTONIC`, optional),
/// - `end ID`,
/// - `beat`,
/// - `bye` (the child will exit after this: `max_jobs` reached),
/// - `prog PID` / `progend PID` (an exec program's process group started / ended).
/// An id is percent-escaped where it holds `%`, a space or a line break, so it stays one field.
public enum ChildMessage: Hashable, Sendable {
    /// A job started under `lease`, with its effective limits in milliseconds, at `at` on the
    /// child's `CLOCK_MONOTONIC` (the master may read the line up to a second later, and the
    /// limits count from the start, not from the reading).
    case started(id: JobID, lease: Int, softMilliseconds: Int64?, hardMilliseconds: Int64?, at: MonotonicClock.Instant? = nil)
    /// The job's outcome was recorded.
    case ended(id: JobID)
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
        case let .started(_, _, soft, hard, _):
            return [soft, hard].contains { $0.map { $0 < Self.promptLimitMilliseconds } ?? false }
        case .leaving:
            return true
        case .ended, .beat, .program, .programEnded:
            return false
        }
    }

    /// The line, with its trailing newline.
    public var line: String {
        switch self {
        case let .started(id, lease, soft, hard, at):
            let start = at.map { " \($0.nanoseconds)" } ?? ""
            return "start \(Self.escape(id.rawValue)) \(lease) \(soft.map(String.init) ?? "-") \(hard.map(String.init) ?? "-")\(start)\n"
        case let .ended(id):
            return "end \(Self.escape(id.rawValue))\n"
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
        // Split on the UTF-8 bytes: splitting the Substring itself runs grapheme breaking over
        // every line, and the master reads two lines per job (it was most of its CPU).
        let fields = line.utf8.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false).map(Substring.init)
        switch fields.first {
        case "start":
            guard fields.count == 5 || fields.count == 6, let id = Self.unescape(fields[1]), let lease = Int(fields[2]),
                  let soft = Self.limit(fields[3]), let hard = Self.limit(fields[4]) else { return nil }
            var at: MonotonicClock.Instant?
            if fields.count == 6 {
                guard let nanoseconds = Int64(fields[5]), nanoseconds >= 0 else { return nil }
                at = MonotonicClock.Instant(nanoseconds: nanoseconds)
            }
            self = .started(id: JobID(id), lease: lease, softMilliseconds: soft, hardMilliseconds: hard, at: at)
        case "end":
            guard fields.count == 2, let id = Self.unescape(fields[1]) else { return nil }
            self = .ended(id: JobID(id))
        case "beat":
            guard fields.count == 1 else { return nil }
            self = .beat
        case "bye":
            guard fields.count == 1 else { return nil }
            self = .leaving
        case "prog", "progend":
            guard fields.count == 2, let pid = Int32(fields[1]), pid > 1 else { return nil }
            self = fields[0] == "prog" ? .program(ProcessID(rawValue: pid)) : .programEnded(ProcessID(rawValue: pid))
        default:
            return nil
        }
    }

    /// A limit field: `-` is none (`.some(nil)`), a bad number is nil.
    private static func limit(_ field: Substring) -> Int64?? {
        if field == "-" { return .some(nil) }
        guard let value = Int64(field), value >= 0 else { return nil }
        return .some(value)
    }

    static func escape(_ text: String) -> String {
        // Ids are plain almost always: keep the string as it is, without copying it per job.
        guard text.utf8.contains(where: { $0 == 0x25 || $0 == 0x20 || $0 == 0x0A || $0 == 0x0D }) else { return text }
        var out = ""
        for character in text {
            switch character {
            case "%": out += "%25"
            case " ": out += "%20"
            case "\n": out += "%0A"
            case "\r": out += "%0D"
            default: out.append(character)
            }
        }
        return out
    }

    static func unescape(_ field: Substring) -> String? {
        guard !field.isEmpty else { return nil }
        // On the bytes: `contains("%")` on a Substring resolves to Foundation's string search.
        guard field.utf8.contains(UInt8(ascii: "%")) else { return String(field) }
        var out = ""
        var rest = field[...]
        while let percent = rest.firstIndex(of: "%") {
            out += rest[..<percent]
            let code = rest[percent...].prefix(3)
            switch code {
            case "%20": out += " "
            case "%0A": out += "\n"
            case "%0D": out += "\r"
            case "%25": out += "%"
            default: return nil
            }
            rest = rest[percent...].dropFirst(3)
        }
        return out + rest
    }
}
