/// Why a job failed, as stored with it: the error's type and message, and for a crash the
/// signal or exit status of the process that ran it.
public struct JobError: Sendable, Equatable, Codable {
    /// The error's type: a Swift type name, or one of Drover's kinds (`Crash`, `TimeLimit`,
    /// `LeaseExpired`, `UnknownJob`, `BadArguments`, `Canceled`).
    public var type: String
    /// What went wrong, in words.
    public var message: String
    /// For a crash: the signal that killed the process (`KILL`).
    public var signal: String?
    /// For a crash: the exit status.
    public var exitStatus: Int?
    /// Whether the handler said the error is permanent (no retry).
    public var permanent: Bool?

    /// Creates an error record.
    public init(type: String, message: String, signal: String? = nil, exitStatus: Int? = nil, permanent: Bool? = nil) {
        self.type = type
        self.message = message
        self.signal = signal
        self.exitStatus = exitStatus
        self.permanent = permanent
    }

    enum CodingKeys: String, CodingKey {
        case type, message, signal, permanent
        case exitStatus = "exit_status"
    }

    /// Compact JSON for Redis.
    public var jsonText: String {
        var out = "{\"type\":"
        JSONWriter.quote(type, into: &out)
        out += ",\"message\":"
        JSONWriter.quote(message, into: &out)
        if let signal { out += ",\"signal\":"; JSONWriter.quote(signal, into: &out) }
        if let exitStatus { out += ",\"exit_status\":\(exitStatus)" }
        if permanent == true { out += ",\"permanent\":true" }
        return out + "}"
    }
}
