import DroverCore
import DroverQueue
import DroverSystem

/// Jobs that any language can serve: the config's `exec:` table names a job and the program that
/// runs it. The job's JSON arguments go to the program's stdin, its stdout is the result (JSON),
/// exit status 0 is success. The command comes only from the admin's config, never from the
/// job's payload, and runs without a shell.
public enum ExecJobHandler {
    /// A handler for one configured command.
    public static func handler(for command: ExecCommand) -> AnyJobHandler {
        var handler = AnyJobHandler(name: command.name, retryPolicy: nil) { document, context in
            let input = Array(JobDocument.argumentsText(of: document).utf8)
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
        handler.timeLimit = command.timeLimit?.duration
        handler.softTimeLimit = command.softTimeLimit?.duration
        return handler
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

extension String {
    var trimmingWhitespace: String {
        var view = Substring(self)
        while let first = view.first, first.isWhitespace { view.removeFirst() }
        while let last = view.last, last.isWhitespace { view.removeLast() }
        return String(view)
    }
}
