import DroverQueue
import DroverRedis
import Foundation

/// A few threads, each owning one `JobStore` (one Redis connection), that run the blocking
/// hiredis calls of HTTP handlers.
///
/// Why: a hiredis call blocks its thread for a round trip (or a whole connect timeout while Redis
/// is down), and Swift's cooperative pool has one thread per core (2 here, docs/platform.md), so a
/// handler that called Redis directly would stall every other request and NIO's event loops
/// behind it. Handlers hand a closure to this pool and await a continuation instead.
public final class RedisPool: Sendable {
    private let queue: WorkQueue

    /// Starts `size` threads, each with its own connection (opened on first use).
    /// - Parameters:
    ///   - size: threads and connections.
    ///   - options: where Redis is; the connect timeout bounds how long a request waits while
    ///     Redis is down before it gets its 503.
    ///   - prefix: the key prefix.
    public init(size: Int, options: RedisClient.Options, prefix: String) {
        queue = WorkQueue()
        for index in 0..<max(1, size) {
            let store = StoreBox(JobStore(client: RedisClient(options: options), prefix: prefix))
            let queue = self.queue
            let thread = Thread { queue.serve(store) }
            thread.name = "drover-web-redis-\(index)"
            thread.start()
        }
    }

    /// Runs `body` with a store on one of the pool's threads.
    /// - Throws: what `body` throws (a `QueueError` `.unavailable` when Redis is down).
    public func run<T: Sendable>(_ body: @escaping @Sendable (JobStore) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            queue.push { store in
                do {
                    continuation.resume(returning: try body(store))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    /// Stops the threads once the queued work is done.
    public func shutdown() { queue.close() }
}

/// A `JobStore` is not thread-safe; each box is only ever touched by its one thread.
struct StoreBox: @unchecked Sendable {
    let store: JobStore
    init(_ store: JobStore) { self.store = store }
}

/// A FIFO of closures, served by the pool's threads.
final class WorkQueue: @unchecked Sendable {
    typealias Item = @Sendable (JobStore) -> Void
    private let condition = NSCondition()
    private var items: [Item] = []
    private var head = 0
    private var closed = false

    func push(_ item: @escaping Item) {
        condition.lock()
        items.append(item)
        condition.signal()
        condition.unlock()
    }

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    func serve(_ box: StoreBox) {
        while let item = next() { item(box.store) }
    }

    private func next() -> Item? {
        condition.lock()
        defer { condition.unlock() }
        while head == items.count {
            if closed { return nil }
            condition.wait()
        }
        let item = items[head]
        head += 1
        if head > 1024, head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        return item
    }
}
