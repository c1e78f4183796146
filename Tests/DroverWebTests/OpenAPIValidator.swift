@testable import DroverWeb
import Foundation

/// Checks responses against `OpenAPIDocument`: finds the operation for a method and a concrete
/// path, the schema for the status, and validates the body with the subset of JSON Schema the
/// document uses (type and type lists, required, properties, additionalProperties, items, enum,
/// allOf, $ref as a JSON pointer, date-time format). Written for this document, not in general.
struct OpenAPIValidator {
    let document: [String: Any]

    init() {
        document = (try? JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json.utf8))) as? [String: Any] ?? [:]
    }

    /// Every problem with a reply; empty when it matches.
    func problems(method: String, path: String, reply: HTTPReply) -> [String] {
        let bare = String(path.split(separator: "?", maxSplits: 1).first ?? "")
        guard let (template, item) = operationPath(bare) else { return ["no path in the document matches \(bare)"] }
        guard let operation = item[method.lowercased()] as? [String: Any] else { return ["\(template) has no \(method)"] }
        guard let responses = operation["responses"] as? [String: Any],
              var response = responses[String(reply.status)] as? [String: Any] else {
            return ["\(method) \(template) documents no \(reply.status) response (body: \(reply.body.prefix(200)))"]
        }
        if let ref = response["$ref"] as? String { response = resolve(ref) as? [String: Any] ?? [:] }
        guard let content = response["content"] as? [String: Any] else { return [] }
        if content["application/json"] == nil { return [] }  // text (metrics)
        guard reply.headers["content-type"]?.hasPrefix("application/json") == true else {
            return ["\(method) \(template) \(reply.status): content-type is \(reply.headers["content-type"] ?? "none")"]
        }
        guard let media = content["application/json"] as? [String: Any], let schema = media["schema"] else { return [] }
        guard let value = reply.json else { return ["\(method) \(template) \(reply.status): body is not JSON"] }
        var found: [String] = []
        validate(value, schema, at: "\(method) \(template) \(reply.status) $", into: &found)
        return found
    }

    private func operationPath(_ path: String) -> (String, [String: Any])? {
        guard let paths = document["paths"] as? [String: Any] else { return nil }
        let parts = path.split(separator: "/")
        for (template, item) in paths {
            let pattern = template.split(separator: "/")
            guard pattern.count == parts.count else { continue }
            if zip(pattern, parts).allSatisfy({ $0.hasPrefix("{") || $0 == $1 }) {
                return (template, item as? [String: Any] ?? [:])
            }
        }
        return nil
    }

    private func resolve(_ ref: String) -> Any? {
        var node: Any? = document
        for part in ref.dropFirst(2).split(separator: "/") { node = (node as? [String: Any])?[String(part)] }
        return node
    }

    private func typeName(_ value: Any) -> String {
        if value is NSNull { return "null" }
        if let number = value as? NSNumber {
            // swift-corelibs-foundation parses JSON booleans as NSNumbers whose objCType is "c".
            if String(cString: number.objCType) == "c" { return "boolean" }
            return number.doubleValue == number.doubleValue.rounded() ? "integer" : "number"
        }
        if value is String { return "string" }
        if value is [Any] { return "array" }
        if value is [String: Any] { return "object" }
        return "unknown"
    }

    /// The members an object schema documents: its own properties and, through `allOf` and
    /// `$ref`, those of every part.
    private func documentedMembers(_ schemaNode: Any) -> Set<String> {
        guard var schema = schemaNode as? [String: Any] else { return [] }
        if let ref = schema["$ref"] as? String { schema = resolve(ref) as? [String: Any] ?? [:] }
        var members = Set((schema["properties"] as? [String: Any] ?? [:]).keys)
        for part in schema["allOf"] as? [Any] ?? [] { members.formUnion(documentedMembers(part)) }
        return members
    }

    private func validate(_ value: Any, _ schemaNode: Any, at path: String, into problems: inout [String],
                          documented: Set<String>? = nil) {
        guard var schema = schemaNode as? [String: Any] else { return }
        if let ref = schema["$ref"] as? String { schema = resolve(ref) as? [String: Any] ?? [:] }
        if let all = schema["allOf"] as? [Any] {
            // Each part sees the members of every part as documented (allOf composes objects).
            let union = (documented ?? []).union(documentedMembers(schema))
            for part in all { validate(value, part, at: path, into: &problems, documented: union) }
        }
        let actual = typeName(value)
        if let type = schema["type"] {
            let allowed = (type as? [String]) ?? [(type as? String) ?? ""]
            let ok = allowed.contains(actual) || (actual == "integer" && allowed.contains("number"))
            if !ok {
                problems.append("\(path): \(actual) where the schema says \(allowed)")
                return
            }
        }
        if let options = schema["enum"] as? [Any], let text = value as? String,
           !options.contains(where: { ($0 as? String) == text }) {
            problems.append("\(path): \"\(text)\" is not one of \(options)")
        }
        if schema["format"] as? String == "date-time", let text = value as? String, Timestamp_parse(text) == nil {
            problems.append("\(path): \"\(text)\" is not an RFC 3339 time")
        }
        if let object = value as? [String: Any] {
            for key in schema["required"] as? [String] ?? [] where object[key] == nil {
                problems.append("\(path): required member \"\(key)\" is missing")
            }
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for (key, member) in object {
                if let sub = properties[key] {
                    validate(member, sub, at: "\(path).\(key)", into: &problems)
                } else if let extra = schema["additionalProperties"] {
                    if extra as? Bool == false { problems.append("\(path): member \"\(key)\" is not in the schema") }
                    else { validate(member, extra, at: "\(path).\(key)", into: &problems) }
                } else if schema["allOf"] == nil, !properties.isEmpty, documented?.contains(key) != true {
                    // The document lists every member the server sends: an undocumented one is drift.
                    problems.append("\(path): member \"\(key)\" is not documented")
                }
            }
        }
        if let array = value as? [Any], let items = schema["items"] {
            for (index, item) in array.enumerated() { validate(item, items, at: "\(path)[\(index)]", into: &problems) }
        }
    }
}

/// RFC 3339 with or without fraction.
func Timestamp_parse(_ text: String) -> Date? {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    if let date = formatter.date(from: text) { return date }
    formatter.formatOptions = [.withInternetDateTime]
    return formatter.date(from: text)
}
