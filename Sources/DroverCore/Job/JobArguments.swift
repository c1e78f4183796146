/// The one rule for a job's arguments, whoever writes the job: the CLI, the Swift producer, the
/// HTTP API and the scheduler's periodic entries (checked when the config is read).
public enum JobArguments {
    /// The most bytes a job's arguments may take: a job travels through Redis, every worker's
    /// fetch and every read of it; large data belongs elsewhere, with a reference in the job.
    public static let maximumBytes = 16 << 20

    /// Why `text` cannot be a job's arguments, or nil: one JSON value, at most
    /// `JSONSyntax.maximumDepth` levels deep and `maximumBytes` long.
    public static func problem(_ text: String) -> String? {
        if text.utf8.count > maximumBytes {
            return "arguments are \(text.utf8.count) bytes, over the limit of \(maximumBytes) (16 MiB): store large data elsewhere and pass a reference"
        }
        return JSONSyntax.problem(text).map { "arguments are \($0)" }
    }
}
