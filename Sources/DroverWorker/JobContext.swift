import DroverCore

/// What a running job can see and do: its id and attempt, and progress reports that other
/// processes see in the job's status while it runs.
public struct JobContext: Sendable {
    /// The job's id.
    public let id: JobID
    /// The attempt being run, from 1.
    public let attempt: Int
    /// The attempts allowed in all.
    public let maxAttempts: Int
    /// The queue it came from.
    public let queue: String
    let reporter: (any ProgressReporter)?

    /// Reports progress: a percentage (0–100) and an optional JSON-encodable note.
    /// - Throws: `CancellationError` when the job was cancelled meanwhile.
    public func progress(_ percent: Double, note: (some Encodable & Sendable)? = Optional<String>.none) async throws {
        let clamped = min(100, max(0, percent))
        var noteJSON = ""
        if let note { noteJSON = (try? JSONText.encode(note)) ?? "" }
        reporter?.report(percent: clamped, noteJSON: noteJSON)
        try Task.checkCancellation()
    }
}

/// Sends progress to Redis from the job's side (implemented by the worker).
protocol ProgressReporter: Sendable {
    func report(percent: Double, noteJSON: String)
}
