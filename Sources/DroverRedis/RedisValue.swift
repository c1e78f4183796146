/// A reply from Redis, converted from hiredis's `redisReply` before the reply is freed.
///
/// Bulk strings are kept as bytes: hiredis replies are binary-safe (`len`, not a NUL terminator),
/// and job payloads may carry any bytes.
public enum RedisValue: Sendable, Equatable {
    /// A bulk string (`$`), as raw bytes.
    case bulk([UInt8])
    /// A status reply (`+OK`).
    case status(String)
    /// An integer reply (`:`).
    case integer(Int64)
    /// An array reply (`*`).
    case array([RedisValue])
    /// A nil bulk string or nil array.
    case null
    /// An error reply (`-ERR …`). Only nested errors (inside arrays or pipelines) are kept as
    /// values; a top-level error reply from `RedisConnection.command` is thrown.
    case error(String)

    /// The value as a UTF-8 string, for bulk and status replies.
    public var string: String? {
        switch self {
        case .bulk(let bytes): return String(decoding: bytes, as: UTF8.self)
        case .status(let text): return text
        case .integer(let value): return String(value)
        default: return nil
        }
    }

    /// The value as an integer: integer replies, and bulk strings that hold a decimal number.
    public var int: Int? {
        switch self {
        case .integer(let value): return Int(value)
        case .bulk(let bytes): return Int(String(decoding: bytes, as: UTF8.self))
        default: return nil
        }
    }

    /// The raw bytes of a bulk or status reply.
    public var bytes: [UInt8]? {
        switch self {
        case .bulk(let bytes): return bytes
        case .status(let text): return Array(text.utf8)
        default: return nil
        }
    }

    /// The elements of an array reply, or nil for any other reply.
    public var array: [RedisValue]? {
        if case .array(let values) = self { return values }
        return nil
    }

    /// Whether this is a nil reply.
    public var isNull: Bool { self == .null }
}
