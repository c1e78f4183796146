import Foundation
internal import Yams

/// Reads typed values out of a composed YAML tree, collecting a problem for everything wrong
/// instead of stopping at the first, with the line and column of the node at fault.
///
/// Each config type reads itself from a node through this (`PoolConfig.read(_:path:reader:)`
/// and so on) and returns nil when it cannot be built; the collected problems say why.
struct ConfigReader {
    var problems: [ConfigError.Problem] = []
    /// One child per core for pools that do not say, and for the default pool.
    let cores: Int

    mutating func report(_ code: ConfigError.Code, _ path: String, _ message: String, at node: Node?) {
        report(code, path, message, mark: node?.mark)
    }

    mutating func report(_ code: ConfigError.Code, _ path: String, _ message: String, mark: Mark?) {
        problems.append(.init(code: code, path: path, message: message, line: mark?.line, column: mark?.column))
    }

    // MARK: - Mappings

    /// The keys of a mapping, checked against the keys its type knows. Unknown keys are
    /// problems, with a suggestion when one is a likely typo of a known key.
    mutating func fields(_ node: Node, path: String, allowed: [String]) -> ConfigFields? {
        guard let mapping = node.mapping else {
            report(.invalidValue, path, "must be a mapping of keys (\(allowed.joined(separator: ", ")))", at: node)
            return nil
        }
        var entries: [String: (key: Node, value: Node)] = [:]
        for (key, value) in mapping {
            guard let name = key.scalar?.string else {
                report(.invalidValue, path, "has a key that is not a plain name", at: key)
                continue
            }
            guard allowed.contains(name) else {
                var message = "unknown key \"\(name)\""
                if let guess = Self.closest(to: name, in: allowed) { message += "; did you mean \"\(guess)\"?" }
                message += " (known keys: \(allowed.joined(separator: ", ")))"
                report(.unknownKey, Self.join(path, name), message, at: key)
                continue
            }
            entries[name] = (key, value)
        }
        return ConfigFields(path: path, node: node, entries: entries)
    }

    /// A known key within edit distance 2 of `name`, to turn `concurency` into a hint.
    static func closest(to name: String, in candidates: [String]) -> String? {
        candidates
            .map { ($0, editDistance(name.lowercased(), $0)) }
            .filter { $0.1 <= 2 }
            .min { $0.1 < $1.1 }?.0
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var row = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var previous = row[0]
            row[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return row[b.count]
    }

    static func join(_ path: String, _ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }

    // MARK: - Scalars

    static func isNull(_ node: Node) -> Bool {
        node.scalar?.style == .plain && Resolver.default.resolveTag(of: node) == .null
    }

    /// The text of a scalar; anything else is a problem.
    mutating func string(_ node: Node, path: String, what: String = "a string") -> String? {
        guard let scalar = node.scalar else {
            report(.invalidValue, path, "must be \(what), not a \(Self.kind(of: node))", at: node)
            return nil
        }
        return scalar.string
    }

    /// A non-empty string without surrounding spaces.
    mutating func name(_ node: Node, path: String, what: String = "a name") -> String? {
        guard let text = string(node, path: path, what: what) else { return nil }
        guard !text.isEmpty, text.trimmingCharacters(in: .whitespaces) == text else {
            report(.invalidValue, path, "must be \(what): not empty, no leading or trailing spaces", at: node)
            return nil
        }
        return text
    }

    mutating func int(_ node: Node, path: String, in range: ClosedRange<Int>, what: String? = nil) -> Int? {
        let expected = what ?? "a whole number from \(range.lowerBound) to \(range.upperBound)"
        guard let text = node.scalar?.string else {
            report(.invalidValue, path, "must be \(expected), not a \(Self.kind(of: node))", at: node)
            return nil
        }
        guard let value = Int(text), range.contains(value) else {
            report(.invalidValue, path, "must be \(expected), not \(text.isEmpty ? "empty" : text)", at: node)
            return nil
        }
        return value
    }

    mutating func positiveInt(_ node: Node, path: String) -> Int? {
        int(node, path: path, in: 1...Int.max, what: "a positive whole number")
    }

    /// YAML 1.1's booleans (true/false, yes/no, on/off), any case.
    mutating func bool(_ node: Node, path: String) -> Bool? {
        switch node.scalar?.string.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default:
            report(.invalidValue, path, "must be true or false", at: node)
            return nil
        }
    }

    /// A duration: `30s`, `1h30m`, or a number of seconds. `positive` rejects zero.
    mutating func timeSpan(_ node: Node, path: String, positive: Bool = true) -> TimeSpan? {
        guard let text = string(node, path: path, what: "a duration such as 30s") else { return nil }
        do {
            let span = try TimeSpan(parsing: text)
            if positive && span.isZero {
                report(.invalidValue, path, "must be longer than zero", at: node)
                return nil
            }
            return span
        } catch {
            report(.invalidValue, path, error.description, at: node)
            return nil
        }
    }

    /// A sequence of non-empty names, each once. `nonEmpty` requires at least one.
    mutating func nameList(_ node: Node, path: String, what: String, nonEmpty: Bool) -> [String]? {
        guard let sequence = node.sequence else {
            report(.invalidValue, path, "must be a list such as [\(what)]", at: node)
            return nil
        }
        if nonEmpty && sequence.isEmpty {
            report(.invalidValue, path, "must list at least one \(what)", at: node)
            return nil
        }
        var names: [String] = []
        var ok = true
        for (index, item) in sequence.enumerated() {
            guard let name = name(item, path: "\(path)[\(index)]", what: "a \(what)") else {
                ok = false
                continue
            }
            if names.contains(name) {
                report(.duplicate, "\(path)[\(index)]", "\"\(name)\" is listed twice", at: item)
                ok = false
            }
            names.append(name)
        }
        return ok ? names : nil
    }

    static func kind(of node: Node) -> String {
        switch node {
        case .mapping: "mapping"
        case .sequence: "list"
        case .scalar: "scalar"
        case .alias: "alias"
        }
    }
}

/// The known keys of one mapping, with their nodes.
struct ConfigFields {
    /// The mapping's key path.
    let path: String
    /// The mapping itself, for "missing key" problems.
    let node: Node
    let entries: [String: (key: Node, value: Node)]

    /// The value of `key`, or nil when it is absent or null (`key:` or `key: ~`), which both
    /// mean "use the default".
    subscript(key: String) -> Node? {
        guard let value = entries[key]?.value, !ConfigReader.isNull(value) else { return nil }
        return value
    }

    func path(_ key: String) -> String { ConfigReader.join(path, key) }

    /// The value of a key that must be given, reporting it as missing otherwise (at the key if
    /// it is there with no value, else at the mapping).
    func required(_ key: String, _ reader: inout ConfigReader) -> Node? {
        if let value = self[key] { return value }
        if let present = entries[key] {
            reader.report(.missingKey, path(key), "needs a value", at: present.key)
        } else {
            reader.report(.missingKey, path(key), "is required", at: node)
        }
        return nil
    }
}
