/// A job's id: 26 characters of Crockford base32, the first 10 encoding the creation time in
/// milliseconds (so ids sort by creation, as ULIDs do) and the last 16 holding 80 random bits.
///
/// Random rather than a Redis counter so producers mint ids without a round trip, and so ids
/// never collide across hosts or after a Redis restart.
public struct JobID: Hashable, Sendable, Codable, CustomStringConvertible, Comparable {
    /// The id's text.
    public let rawValue: String

    /// Wraps an id read from Redis or typed by a user.
    public init(_ rawValue: String) { self.rawValue = rawValue }

    private static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    /// Mints a new id for `milliseconds` since the epoch.
    public static func generate(milliseconds: Int64, using generator: inout some RandomNumberGenerator) -> JobID {
        let random = generator.next() as UInt64
        let more = generator.next() as UInt64
        let text = String(unsafeUninitializedCapacity: 26) { bytes in
            var time = UInt64(max(0, milliseconds))
            for index in stride(from: 9, through: 0, by: -1) {
                bytes[index] = alphabet[Int(time & 31)]
                time >>= 5
            }
            var bits = random
            for index in 10..<22 {
                bytes[index] = alphabet[Int(bits & 31)]
                bits >>= 5
            }
            bits = more
            for index in 22..<26 {
                bytes[index] = alphabet[Int(bits & 31)]
                bits >>= 5
            }
            return 26
        }
        return JobID(text)
    }

    /// Mints a new id now.
    public static func generate() -> JobID {
        var generator = SystemRandomNumberGenerator()
        return generate(milliseconds: Timestamp.nowMilliseconds(), using: &generator)
    }

    /// Whether the text could be an id (any Redis-safe token is accepted: ids from other
    /// producers need not be ULIDs, but they may not be empty or contain spaces).
    public var isWellFormed: Bool {
        !rawValue.isEmpty && rawValue.utf8.count <= 200 && !rawValue.utf8.contains { $0 <= 32 || $0 == 127 }
    }

    public var description: String { rawValue }
    public static func < (lhs: JobID, rhs: JobID) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
