/// A strict RFC 8259 syntax check that allocates nothing: the producer refuses malformed
/// arguments before anything is written, at enqueue speed (Foundation's parser would build the
/// whole value just to throw it away).
public enum JSONSyntax {
    /// The deepest nesting a job's arguments may have: `{"a": [1]}` is 2 levels. Parsers built
    /// on recursion (Foundation's among them) slow down sharply on deeper documents, and every
    /// reader of the job pays that on each read; no real job needs more (Python's `json` and
    /// most JSON tools cope with far less).
    public static let maximumDepth = 64

    /// Why `text` is not one JSON value nesting at most `maximumDepth` levels, or nil.
    public enum Problem: Sendable, Equatable, CustomStringConvertible {
        case invalid
        case tooDeep(limit: Int)

        public var description: String {
            switch self {
            case .invalid: return "not valid JSON"
            case let .tooDeep(limit): return "nested deeper than \(limit) levels"
            }
        }
    }

    /// Whether `text` is exactly one JSON value (surrounding white space allowed), nesting at
    /// most `maximumDepth` levels.
    public static func isValid(_ text: String, maximumDepth: Int = JSONSyntax.maximumDepth) -> Bool {
        problem(text, maximumDepth: maximumDepth) == nil
    }

    /// What is wrong with `text` as one JSON value nesting at most `maximumDepth` levels, or nil.
    public static func problem(_ text: String, maximumDepth: Int = JSONSyntax.maximumDepth) -> Problem? {
        var text = text
        return text.withUTF8 { bytes in
            var parser = Parser(bytes: bytes, maximumDepth: maximumDepth)
            guard parser.value(depth: 0) else { return parser.tooDeep ? .tooDeep(limit: maximumDepth) : .invalid }
            parser.skipSpace()
            return parser.index == bytes.count ? nil : .invalid
        }
    }

    private struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        let maximumDepth: Int
        var index = 0
        /// Set when the value failed for its depth alone.
        var tooDeep = false

        mutating func skipSpace() {
            while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 {
                index += 1
            }
        }

        mutating func literal(_ word: StaticString) -> Bool {
            let count = word.utf8CodeUnitCount
            guard index + count <= bytes.count else { return false }
            for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { return false }
            index += count
            return true
        }

        mutating func value(depth: Int) -> Bool {
            skipSpace()
            guard index < bytes.count else { return false }
            switch bytes[index] {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                guard depth < maximumDepth else {
                    tooDeep = true
                    return false
                }
                return bytes[index] == UInt8(ascii: "{") ? object(depth: depth) : array(depth: depth)
            case UInt8(ascii: "\""): return string()
            case UInt8(ascii: "t"): return literal("true")
            case UInt8(ascii: "f"): return literal("false")
            case UInt8(ascii: "n"): return literal("null")
            default: return number()
            }
        }

        mutating func object(depth: Int) -> Bool {
            index += 1
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return true }
            while true {
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\""), string() else { return false }
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return false }
                index += 1
                guard value(depth: depth + 1) else { return false }
                skipSpace()
                guard index < bytes.count else { return false }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "}") { index += 1; return true }
                return false
            }
        }

        mutating func array(depth: Int) -> Bool {
            index += 1
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return true }
            while true {
                guard value(depth: depth + 1) else { return false }
                skipSpace()
                guard index < bytes.count else { return false }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "]") { index += 1; return true }
                return false
            }
        }

        mutating func string() -> Bool {
            index += 1
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") { index += 1; return true }
                if byte < 0x20 { return false }
                if byte == UInt8(ascii: "\\") {
                    index += 1
                    guard index < bytes.count else { return false }
                    switch bytes[index] {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                         UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                        index += 1
                    case UInt8(ascii: "u"):
                        guard index + 4 < bytes.count else { return false }
                        for offset in 1...4 where !isHex(bytes[index + offset]) { return false }
                        index += 5
                    default:
                        return false
                    }
                } else {
                    index += 1
                }
            }
            return false
        }

        func isHex(_ byte: UInt8) -> Bool {
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66)
        }

        mutating func digits() -> Int {
            let start = index
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 { index += 1 }
            return index - start
        }

        mutating func number() -> Bool {
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count else { return false }
            if bytes[index] == UInt8(ascii: "0") {
                index += 1
            } else if digits() == 0 {
                return false
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                guard digits() > 0 else { return false }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
                guard digits() > 0 else { return false }
            }
            return true
        }
    }
}
