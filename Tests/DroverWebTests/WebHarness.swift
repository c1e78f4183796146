import DroverCore
import DroverQueue
import DroverRedis
import DroverTestSupport
@testable import DroverWeb
import Foundation
import Synchronization
import Testing

/// A private redis-server and a real `WebServer` on a random loopback port in this process, with
/// a client whose every reply is checked against the OpenAPI document.
///
/// The server runs on a detached task; `stop()` shuts it down gracefully and waits for `run` to
/// return. Tests use `WebHarness.with { … }` so the server and redis-server always go away.
final class WebHarness {
    static let token = "test-token-0123456789"

    let redis: RedisServer
    let store: JobStore
    let server: WebServer
    let port: Int
    let task: Task<Void, any Error>

    private init(redis: RedisServer, store: JobStore, server: WebServer, port: Int, task: Task<Void, any Error>) {
        self.redis = redis
        self.store = store
        self.server = server
        self.port = port
        self.task = task
    }

    /// Runs `body` against a fresh server and redis-server, then stops both.
    /// `redisArguments` go to redis-server (`--requirepass`); `configure` changes the settings
    /// last (a wrong password, short timeouts, allowed hosts).
    static func with(token: String? = WebHarness.token, openReads: Bool = false, periodic: [PeriodicEntry] = [],
                     bodyLimit: Int? = nil, redisArguments: [String] = [], redisCommandTimeout: Duration? = nil,
                     configure: (inout WebSettings) -> Void = { _ in },
                     _ body: (WebHarness) async throws -> Void) async throws {
        let harness = try await start(token: token, openReads: openReads, periodic: periodic, bodyLimit: bodyLimit,
                                      redisArguments: redisArguments, redisCommandTimeout: redisCommandTimeout, configure: configure)
        do {
            try await body(harness)
        } catch {
            await harness.stop()
            throw error
        }
        await harness.stop()
    }

    static func start(token: String?, openReads: Bool, periodic: [PeriodicEntry], bodyLimit: Int?,
                      redisArguments: [String] = [], redisCommandTimeout: Duration? = nil,
                      configure: (inout WebSettings) -> Void = { _ in }) async throws -> WebHarness {
        let redis = try RedisServer(arguments: redisArguments)
        var settings = WebSettings(redis: redis.url)
        settings.host = "127.0.0.1"
        settings.port = 0
        settings.token = token
        settings.openReads = openReads
        settings.periodic = periodic
        if let bodyLimit { settings.bodyLimit = bodyLimit }
        if let redisCommandTimeout {
            settings.redis.commandTimeout = redisCommandTimeout
            settings.redis.connectTimeout = redisCommandTimeout + .milliseconds(100)
        }
        configure(&settings)
        let server = WebServer(settings: settings)
        let listening = ListeningPort()
        let task = Task.detached {
            do {
                try await server.run { port in listening.set(.success(port)) }
                listening.set(.failure(TestFixtureError("the server stopped before listening")))
            } catch {
                listening.set(.failure(error))
                throw error
            }
        }
        let port = try await listening.value()
        // The store holds a blocking hiredis client: tests call it briefly, between requests.
        return WebHarness(redis: redis, store: JobStore(client: redis.client()), server: server, port: port, task: task)
    }

    func stop() async {
        server.stop()
        _ = await task.result
        redis.stop()
    }

    /// A client with the token (or `token`: nil sends none), checking every reply.
    func client(token: String?? = .some(WebHarness.token)) -> CheckedClient {
        CheckedClient(raw: HTTPTestClient(port: port, token: token ?? nil))
    }

    var api: CheckedClient { client() }

    // MARK: - Jobs in every state, made through the store as workers make them

    @discardableResult
    func enqueue(_ name: String = "report", queue: String = "default", args: String = "{}",
                 _ configure: (inout JobOptions) -> Void = { _ in }) throws -> JobID {
        var options = JobOptions()
        options.queue = queue
        configure(&options)
        return try store.enqueue(EnqueueRequest(name: name, argsJSON: args, options: options)).id
    }

    /// Fetches the next job of `queue` as a worker would, leaving it started.
    @discardableResult
    func start(queue: String = "default") throws -> FetchedJob {
        try #require(try store.fetch(FetchSpec(queues: [queue], worker: "test-host:1")))
    }

    /// Enqueues and runs a job to a failure that spends its attempts.
    @discardableResult
    func failed(queue: String = "default", message: String = "boom") throws -> JobID {
        try enqueue("flaky", queue: queue) { $0.maxAttempts = 1 }
        let job = try start(queue: queue)
        _ = try store.finish(job, .failed(JobError(type: "TestError", message: message)), next: nil)
        return job.id
    }

    /// Enqueues and runs a job to success.
    @discardableResult
    func finished(queue: String = "default") throws -> JobID {
        try enqueue("quick", queue: queue)
        let job = try start(queue: queue)
        _ = try store.finish(job, .finished(resultJSON: #"{"ok": true}"#), next: nil)
        return job.id
    }
}

/// The bound port, handed from the server's task to the test once.
final class ListeningPort: Sendable {
    private let state = Mutex<(result: Result<Int, any Error>?, waiter: CheckedContinuation<Int, any Error>?)>((nil, nil))

    func set(_ result: Result<Int, any Error>) {
        let waiter: CheckedContinuation<Int, any Error>? = state.withLock { state in
            guard state.result == nil else { return nil }
            state.result = result
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(with: result)
    }

    func value() async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            let ready: Result<Int, any Error>? = state.withLock { state in
                if state.result == nil { state.waiter = continuation }
                return state.result
            }
            if let ready { continuation.resume(with: ready) }
        }
    }
}

/// `HTTPTestClient` plus the OpenAPI check: every reply must match the schema the document
/// names for its path, method and status, so no test can pass on a response the document
/// does not describe.
struct CheckedClient: Sendable {
    let raw: HTTPTestClient

    func get(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> HTTPReply {
        try await send("GET", path, sourceLocation: sourceLocation)
    }

    func post(_ path: String, _ body: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) async throws -> HTTPReply {
        try await send("POST", path, body: body, sourceLocation: sourceLocation)
    }

    func delete(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> HTTPReply {
        try await send("DELETE", path, sourceLocation: sourceLocation)
    }

    func send(_ method: String, _ path: String, body: String? = nil, headers: [String: String] = [:],
              sourceLocation: SourceLocation = #_sourceLocation) async throws -> HTTPReply {
        let reply = try await raw.send(method, path, body: body, headers: headers)
        let problems = OpenAPIValidator().problems(method: method, path: path, reply: reply)
        #expect(problems.isEmpty, "\(method) \(path): \(problems.joined(separator: "; "))", sourceLocation: sourceLocation)
        return reply
    }
}

/// Polls `condition` every 20 ms until it holds or `timeout` passes.
func eventually(_ what: String, timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    throw TestFixtureError("\(what) did not happen within \(timeout)")
}

extension HTTPReply {
    /// `jobs[].id` of a page.
    var pageIDs: [String] { (object["jobs"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String } }
}
