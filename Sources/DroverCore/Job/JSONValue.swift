import Foundation

/// Any JSON value: job arguments, results, progress notes. Jobs are JSON, never a
/// language-specific serialization, so any language can produce and read them.
public enum JSONValue: Sendable, Equatable, Codable, CustomStringConvertible {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Parses JSON text.
    /// - Throws: `JSONValue.ParseError` naming what is wrong.
    public init(parsing text: String) throws(JSONValue.ParseError) {
        try self.init(parsing: Array(text.utf8))
    }

    /// Parses JSON bytes.
    public init(parsing bytes: [UInt8]) throws(JSONValue.ParseError) {
        do {
            self = try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
        } catch {
            throw ParseError(reason: JSONValue.reason(error))
        }
    }

    /// An error parsing JSON.
    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public var reason: String
        public var description: String { "invalid JSON: \(reason)" }
    }

    static func reason(_ error: any Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            let underlying = (context.underlyingError as? NSError)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return underlying ?? context.debugDescription
        }
        return "\(error)"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// Compact JSON text, keys sorted.
    public var jsonText: String {
        var out = ""
        JSONWriter.write(self, into: &out)
        return out
    }

    public var description: String { jsonText }

    /// The member of an object.
    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    /// The number, if this is one.
    public var double: Double? {
        if case .number(let value) = self { return value }
        return nil
    }

    /// The string, if this is one.
    public var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }
}
