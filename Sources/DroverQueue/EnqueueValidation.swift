import DroverCore

/// Checks a request before anything is written: a bad request is refused whole.
enum EnqueueValidation {
    static func problem(_ request: EnqueueRequest) -> String? {
        if request.name.isEmpty || request.name.utf8.count > 200 { return "job name must be 1 to 200 bytes" }
        if let problem = request.options.problem { return problem }
        return argumentsProblem(request.argsJSON)
    }

    /// The most bytes a job's arguments may take: a job travels through Redis, every worker's
    /// fetch and every read of it; large data belongs elsewhere, with a reference in the job.
    static let maximumArgumentBytes = 16 << 20

    /// Why `text` cannot be a job's arguments, or nil: the one rule for every producer (the
    /// CLI, the Swift producer, the HTTP API), checked before anything is written.
    static func argumentsProblem(_ text: String) -> String? {
        if text.utf8.count > maximumArgumentBytes {
            return "arguments are \(text.utf8.count) bytes, over the limit of \(maximumArgumentBytes) (16 MiB): store large data elsewhere and pass a reference"
        }
        return JSONSyntax.problem(text).map { "arguments are \($0)" }
    }
}
