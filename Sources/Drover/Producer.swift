import Dispatch
import DroverCore
import DroverQueue
import DroverRedis
import Foundation
import Synchronization

/// Enqueues jobs and reads, cancels and requeues them: Drover's producer API.
///
/// Synchronous calls run on the caller's thread. Async calls run the (blocking) Redis call on a
/// private dispatch queue and suspend meanwhile, so they never block a thread of Swift's
/// cooperative pool (docs/platform.md: with 2 cores it has 2 threads, and one blocked hiredis call
/// would halve an app's concurrency). One connection, used by one call at a time.
public final class Producer: Sendable {
    private let store: Mutex<JobStore>
    private let queue = DispatchQueue(label: "drover.producer")
    /// The key prefix.
    public let prefix: String

    /// Creates a producer; nothing connects until the first call.
    /// - Parameters:
    ///   - options: the Redis client options (URL, timeouts).
    ///   - prefix: the key prefix (default `drover`).
    public init(options: RedisClient.Options, prefix: String = "drover") {
        self.prefix = prefix
        store = Mutex(JobStore(client: RedisClient(options: options), prefix: prefix))
    }

    /// Creates a producer for a URL.
    public convenience init(url: RedisURL, prefix: String = "drover") {
        self.init(options: RedisClient.Options(url: url), prefix: prefix)
    }

    /// Runs `body` with the store, on this thread.
    public func withStore<T: Sendable>(_ body: (JobStore) throws(QueueError) -> T) throws(QueueError) -> T {
        try store.withLock { (store: inout JobStore) throws(QueueError) -> T in try body(store) }
    }

    /// Runs `body` with the store on the producer's own queue, suspending the caller.
    public func withStore<T: Sendable>(_ body: @escaping @Sendable (JobStore) throws(QueueError) -> T) async throws(QueueError) -> T {
        let result: Result<T, QueueError> = await withCheckedContinuation { continuation in
            queue.async {
                continuation.resume(returning: Result { () throws(QueueError) -> T in try self.withStore(body) })
            }
        }
        return try result.get()
    }

    // MARK: - Enqueue

    /// Enqueues a job with `Encodable` arguments (synchronous).
    /// - Parameters:
    ///   - name: the handler's name.
    ///   - arguments: encoded as JSON.
    ///   - options: queue, priority, time, retries, limits.
    /// - Returns: the job's id (a live job's id when its unique key is taken).
    /// - Throws: `QueueError`: `.invalidRequest`; `.unavailable` (nothing was sent); or
    ///   `.outcomeUnknown` when the reply was lost after sending, and so was that of the retry
    ///   `JobStore.enqueue` makes by itself: the job may exist. Enqueue it again with
    ///   `options.id` set to `error.unconfirmed[0]`: the job is returned if it was written, and
    ///   written once if it was not.
    @discardableResult
    public func enqueue(_ name: String, arguments: some Encodable, options: JobOptions = JobOptions()) throws(QueueError) -> JobID {
        let json = try Producer.encode(arguments)
        return try withStore { store throws(QueueError) in
            try store.enqueue(EnqueueRequest(name: name, argsJSON: json, options: options)).id
        }
    }

    /// Enqueues a job with `Encodable` arguments, without blocking the cooperative pool.
    @discardableResult
    public func enqueue(_ name: String, arguments: some Encodable, options: JobOptions = JobOptions()) async throws(QueueError) -> JobID {
        let request = EnqueueRequest(name: name, argsJSON: try Producer.encode(arguments), options: options)
        return try await withStore { store throws(QueueError) in try store.enqueue(request).id }
    }

    /// Enqueues many prepared requests in one round trip.
    public func enqueue(_ requests: [EnqueueRequest]) async throws(QueueError) -> [EnqueueResult] {
        try await withStore { store throws(QueueError) in try store.enqueue(requests) }
    }

    /// Reads a job; nil when there is none with this id.
    public func job(_ id: JobID) async throws(QueueError) -> Job? {
        try await withStore { store throws(QueueError) in try store.job(id) }
    }

    /// Cancels a job (see `JobStore.cancel`).
    @discardableResult
    public func cancel(_ id: JobID) async throws(QueueError) -> CancelOutcome {
        try await withStore { store throws(QueueError) in try store.cancel(id) }
    }

    /// Requeues a failed or canceled job.
    public func requeue(_ id: JobID) async throws(QueueError) {
        try await withStore { store throws(QueueError) in try store.requeue(id) }
    }

    static func encode(_ arguments: some Encodable) throws(QueueError) -> String {
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return String(decoding: try encoder.encode(arguments), as: UTF8.self)
        } catch {
            throw QueueError(.invalidRequest, "arguments could not be encoded as JSON: \(error)")
        }
    }
}
