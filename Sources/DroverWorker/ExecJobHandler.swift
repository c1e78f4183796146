import DroverCore
import DroverSystem

/// Jobs that any language can serve: the config's `exec:` table names a job and the program that
/// runs it. The job's JSON arguments go to the program's stdin, its stdout is the result (JSON),
/// exit status 0 is success. The command comes only from the admin's config, never from the
/// job's payload, and runs without a shell.
public enum ExecJobHandler {
    /// A handler for one configured command.
    public static func handler(for command: ExecCommand) -> AnyJobHandler {
        AnyJobHandler(name: command.name, retryPolicy: nil) { document, context in
            let input = Array(ArgumentsText.extract(from: document).utf8)
            let run = ExecRun(argv: command.argv, input: input)
            let ending: ExecRun.Ending
            do {
                ending = try run.run(isCancelled: { Task.isCancelled })
            } catch {
                throw PermanentFailure("cannot start \(command.executable): \(error)")
            }
            let stderr = String(decoding: ending.stderrTail, as: UTF8.self)
            if ending.stoppedByUs { throw CancellationError() }
            switch ending.status {
            case .exited(0):
                let text = String(decoding: ending.stdout, as: UTF8.self).trimmingWhitespace
                if text.isEmpty { return "null" }
                guard JSONSyntax.isValid(text) else {
                    throw ExecFailure(message: "\(command.executable) printed something that is not JSON on stdout: \(text.prefix(200))", stderr: stderr)
                }
                return text
            default:
                throw ExecFailure(message: "\(command.executable) \(ending.status)", stderr: stderr)
            }
        }
    }
}

/// An exec job's program failed (non-zero exit, a signal, or garbage on stdout).
public struct ExecFailure: Error, CustomStringConvertible {
    /// What happened.
    public var message: String
    /// The end of the program's stderr.
    public var stderr: String
    public var description: String {
        stderr.isEmpty ? message : "\(message); stderr: \(stderr)"
    }
}

/// The raw text of the `args` member of a job document (the program gets it byte for byte).
enum ArgumentsText {
    static func extract(from document: String) -> String {
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

extension String {
    var trimmingWhitespace: String {
        var view = Substring(self)
        while let first = view.first, first.isWhitespace { view.removeFirst() }
        while let last = view.last, last.isWhitespace { view.removeLast() }
        return String(view)
    }
}
