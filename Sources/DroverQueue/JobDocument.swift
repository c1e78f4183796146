import DroverCore

/// Reads a job's JSON document without a full parse.
public enum JobDocument {
    /// The exact text of the document's top-level `args` member, byte for byte as the producer
    /// wrote it (an exec job's program gets exactly that on stdin), or `null`.
    public static func argumentsText(of document: String) -> String {
        let bytes = Array(document.utf8)
        let marker = Array("\"args\":".utf8)
        var depth = 0
        var inString = false
        var escaped = false
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if inString {
                if escaped { escaped = false } else if byte == 0x5C { escaped = true } else if byte == 0x22 { inString = false }
                index += 1
                continue
            }
            if depth == 1, byte == 0x22, bytes[index...].starts(with: marker) {
                return value(in: bytes, from: index + marker.count)
            }
            if byte == 0x22 { inString = true } else if byte == 0x7B || byte == 0x5B { depth += 1 } else if byte == 0x7D || byte == 0x5D { depth -= 1 }
            index += 1
        }
        return "null"
    }

    private static func value(in bytes: [UInt8], from start: Int) -> String {
        var depth = 0
        var inString = false
        var escaped = false
        var index = start
        while index < bytes.count {
            let byte = bytes[index]
            if inString {
                if escaped { escaped = false } else if byte == 0x5C { escaped = true } else if byte == 0x22 { inString = false }
            } else if byte == 0x22 {
                inString = true
            } else if byte == 0x7B || byte == 0x5B {
                depth += 1
            } else if byte == 0x7D || byte == 0x5D {
                if depth == 0 { break }
                depth -= 1
            } else if byte == 0x2C, depth == 0 {
                break
            }
            index += 1
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }
}

