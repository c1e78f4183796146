import Foundation
internal import Yams

/// Turns a YAML value into compact JSON text, for a periodic entry's `args` (README "Concepts":
/// args are any JSON). Keeping the text rather than a value type lets DroverCore stay
/// independent of whichever JSON value type the job model uses; the scheduler decodes it.
enum JSONText {
    static func from(_ node: Node, path: String, reader: inout ConfigReader) -> String? {
        switch node {
        case .scalar(let scalar):
            return scalarJSON(node, scalar: scalar, path: path, reader: &reader)
        case .sequence(let sequence):
            var items: [String] = []
            for (index, item) in sequence.enumerated() {
                guard let json = from(item, path: "\(path)[\(index)]", reader: &reader) else { return nil }
                items.append(json)
            }
            return "[" + items.joined(separator: ",") + "]"
        case .mapping(let mapping):
            var members: [String] = []
            for (key, value) in mapping {
                guard let name = key.scalar?.string else {
                    reader.report(.invalidValue, path, "JSON object keys must be strings", at: key)
                    return nil
                }
                guard let json = from(value, path: "\(path).\(name)", reader: &reader) else { return nil }
                members.append(quote(name) + ":" + json)
            }
            return "{" + members.joined(separator: ",") + "}"
        case .alias:
            reader.report(.invalidValue, path, "cannot use a YAML alias here", at: node)
            return nil
        }
    }

    private static func scalarJSON(_ node: Node, scalar: Node.Scalar, path: String, reader: inout ConfigReader) -> String? {
        // Quoted scalars are strings whatever they look like ("123", "true").
        guard scalar.style == .plain else { return quote(scalar.string) }
        switch Resolver.default.resolveTag(of: node) {
        case .null: return "null"
        case .bool: return node.bool.map { $0 ? "true" : "false" } ?? quote(scalar.string)
        case .int:
            if let value = node.int { return String(value) }
        case .float:
            if let value = node.float {
                guard value.isFinite else {
                    reader.report(.invalidValue, path, "JSON has no infinity or NaN", at: node)
                    return nil
                }
                return String(value)
            }
        default: break
        }
        return quote(scalar.string)
    }

    /// A JSON string literal (RFC 8259 section 7).
    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
