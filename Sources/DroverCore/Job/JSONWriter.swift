/// Writes JSON without Foundation's encoder: the enqueue path builds a job document per job,
/// and at hundreds of thousands of jobs a second `JSONEncoder` (several µs each) would be the
/// bottleneck, not Redis.
public enum JSONWriter {
    /// Appends `text` as a JSON string literal (RFC 8259 §7 escaping).
    public static func quote(_ text: String, into out: inout String) {
        out.append("\"")
        var needsEscape = false
        for byte in text.utf8 where byte < 0x20 || byte == 0x22 || byte == 0x5C {
            needsEscape = true
            break
        }
        if !needsEscape {
            out.append(text)
        } else {
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": out.append("\\\"")
                case "\\": out.append("\\\\")
                case "\n": out.append("\\n")
                case "\r": out.append("\\r")
                case "\t": out.append("\\t")
                // The short forms JSONEncoder writes, so texts compare equal.
                case "\u{8}": out.append("\\b")
                case "\u{C}": out.append("\\f")
                default:
                    if scalar.value < 0x20 {
                        let hex = String(scalar.value, radix: 16)
                        out.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
                    } else {
                        out.unicodeScalars.append(scalar)
                    }
                }
            }
        }
        out.append("\"")
    }

    /// A JSON string literal.
    public static func quoted(_ text: String) -> String {
        var out = ""
        quote(text, into: &out)
        return out
    }

    /// Formats a number as JSON: integers without a fraction, others in shortest form.
    public static func number(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    /// Appends a value, object keys sorted so the same value always gives the same text.
    public static func write(_ value: JSONValue, into out: inout String) {
        switch value {
        case .null: out.append("null")
        case .bool(let flag): out.append(flag ? "true" : "false")
        case .number(let number): out.append(JSONWriter.number(number))
        case .string(let text): quote(text, into: &out)
        case .array(let items):
            out.append("[")
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(",") }
                write(item, into: &out)
            }
            out.append("]")
        case .object(let members):
            out.append("{")
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { out.append(",") }
                quote(key, into: &out)
                out.append(":")
                write(members[key]!, into: &out)
            }
            out.append("}")
        }
    }
}
