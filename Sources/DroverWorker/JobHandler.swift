import DroverCore

/// A kind of job: a stable name, `Decodable` arguments, and an async `run`.
///
/// ```swift
/// struct SendWelcome: JobHandler {
///     struct Arguments: Codable { var userID: Int }
///     static let name = "send_welcome"
///     func run(_ arguments: Arguments, context: JobContext) async throws -> String {
///         try await context.progress(50)
///         return "sent to \(arguments.userID)"
///     }
/// }
/// ```
/// Cancellation (a soft time limit, `drover cancel`, a lost lease) arrives as Swift `Task`
/// cancellation: check `Task.isCancelled` or call `try Task.checkCancellation()` in long loops.
public protocol JobHandler: Sendable {
    /// The arguments, decoded from the job's JSON.
    associatedtype Arguments: Decodable & Sendable
    /// The result, stored as JSON (use `NoResult` for none).
    associatedtype Output: Encodable & Sendable = NoResult

    /// The name producers enqueue (`send_welcome`). Never change it once jobs are in Redis.
    static var name: String { get }

    /// Overrides the job's retry policy for this kind of job (nil: the job's own).
    var retryPolicy: RetryPolicy? { get }

    /// Runs one job.
    /// - Throws: any error fails this attempt (retried per policy); `PermanentFailure` fails the
    ///   job for good; `CancellationError` after a cancel or soft limit ends it accordingly.
    func run(_ arguments: Arguments, context: JobContext) async throws -> Output
}

extension JobHandler {
    /// No override: the job's own attempts and backoff apply.
    public var retryPolicy: RetryPolicy? { nil }
}

/// The result of a handler that returns nothing: stored as JSON `null`.
public struct NoResult: Encodable, Sendable {
    /// Creates the empty result.
    public init() {}
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encodeNil()
    }
}

/// Arguments of a handler that takes none: accepts any JSON object.
public struct NoArguments: Codable, Sendable {
    /// Creates empty arguments.
    public init() {}
    public init(from decoder: any Decoder) throws {}
    public func encode(to encoder: any Encoder) throws {
        _ = encoder.container(keyedBy: NoKeys.self)
    }
    private enum NoKeys: CodingKey {}
}

/// A handler's own retry policy: how many attempts and how long between them.
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts in all (the first run counts).
    public var maxAttempts: Int
    /// The wait between attempts.
    public var backoff: Backoff
    /// Creates a policy.
    public init(maxAttempts: Int, backoff: Backoff = .standard) {
        self.maxAttempts = maxAttempts
        self.backoff = backoff
    }
}

/// Throw this to fail a job for good: it goes to the failed registry without retries.
public struct PermanentFailure: Error, Sendable, CustomStringConvertible {
    /// Why.
    public var message: String
    /// Creates the error.
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
