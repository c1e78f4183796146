import DroverCore
import DroverQueue
import DroverRedis
import Foundation
import Hummingbird

/// The HTTP side's routes: the JSON API under `/api/v1`, `/healthz`, `/metrics` and the
/// dashboard at `/` (issue 7). Handlers never call Redis themselves: they hand closures to the
/// `RedisPool`.
public final class WebAPI: Sendable {
    let settings: WebSettings
    let pool: RedisPool
    let metrics = MetricsCollector()

    /// Creates the API over a pool of Redis threads.
    public init(settings: WebSettings) {
        self.settings = settings
        pool = RedisPool(size: settings.redisThreads, options: settings.redis, prefix: settings.prefix)
    }

    /// Stops the pool's threads.
    public func shutdown() { pool.shutdown() }

    /// The query parameters of a page of jobs; a route adds `state` or `queue` when its path
    /// does not fix them.
    static let pageQuery: Set<String> = ["offset", "limit", "order"]

    /// Every endpoint, once: the router and `RouteCheckMiddleware` are built from this list.
    var routes: [WebRoute] {
        [
            WebRoute(.get, "/", query: nil) { _, _ in DashboardPage.response },
            WebRoute(.get, "/healthz", query: nil) { _, _ in try await self.health() },
            WebRoute(.get, "/metrics", query: nil) { _, _ in try await self.metricsText() },
            WebRoute(.get, "/api/v1/openapi.json", query: nil) { _, _ in Response.json(OpenAPIDocument.json) },
            WebRoute(.get, "/api/v1/queues") { _, _ in try await self.queues() },
            WebRoute(.get, "/api/v1/queues/:queue/jobs", query: Self.pageQuery.union(["state"])) { request, context in
                try await self.jobs(request, queue: try Self.queueParameter(context), defaultOrder: "newest")
            },
            WebRoute(.get, "/api/v1/jobs", query: Self.pageQuery.union(["state", "queue"])) { request, _ in
                try await self.jobs(request, queue: nil, defaultOrder: "newest")
            },
            WebRoute(.post, "/api/v1/jobs") { request, context in try await self.enqueue(request, context: context) },
            WebRoute(.get, "/api/v1/jobs/:id") { _, context in try await self.job(try Self.idParameter(context)) },
            WebRoute(.delete, "/api/v1/jobs/:id") { _, context in try await self.delete(try Self.idParameter(context)) },
            WebRoute(.post, "/api/v1/jobs/:id/cancel") { _, context in try await self.cancel(try Self.idParameter(context)) },
            WebRoute(.post, "/api/v1/jobs/:id/requeue") { _, context in try await self.requeue(try Self.idParameter(context)) },
            WebRoute(.get, "/api/v1/failed", query: Self.pageQuery.union(["queue"])) { request, _ in
                try await self.jobs(request, queue: nil, state: .failed, defaultOrder: "newest")
            },
            WebRoute(.post, "/api/v1/failed/requeue") { request, context in try await self.requeueFailed(request, context: context) },
            WebRoute(.get, "/api/v1/scheduled", query: Self.pageQuery.union(["queue"])) { request, _ in
                try await self.jobs(request, queue: nil, state: .scheduled, defaultOrder: "oldest")
            },
            WebRoute(.get, "/api/v1/workers") { _, _ in try await self.workers() },
            WebRoute(.get, "/api/v1/periodic") { _, _ in try await self.periodic() },
        ]
    }

    /// The router with every route. HEAD is answered for every GET (RFC 9110 §9.3.2).
    public func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self, options: .autoGenerateHeadEndpoints)
        let routes = routes
        router.add(middleware: HostCheckMiddleware(listenHost: settings.host, allowed: settings.allowedHosts))
        router.add(middleware: RouteCheckMiddleware(routes: routes))
        router.add(middleware: GuardMiddleware(token: settings.token.map(BearerToken.init), openReads: settings.openReads))
        for route in routes {
            router.on(RouterPath(route.path), method: route.method, use: route.handler)
        }
        return router
    }

    // MARK: - Parameters

    static func idParameter(_ context: BasicRequestContext) throws(WebError) -> JobID {
        let id = JobID(try decoded(context, "id"))
        guard id.isWellFormed else { throw WebError.badRequest("invalid job id \"\(id)\"") }
        return id
    }

    static func queueParameter(_ context: BasicRequestContext) throws(WebError) -> String {
        let queue = try decoded(context, "queue")
        guard QueueName.isValid(queue) else { throw WebError.badRequest("invalid queue name \"\(queue)\"") }
        return queue
    }

    /// A path parameter, percent-decoded: Hummingbird hands it over as it appeared in the path,
    /// so `/jobs/a%20b` would otherwise be looked up as the literal `a%20b`.
    static func decoded(_ context: BasicRequestContext, _ name: String) throws(WebError) -> String {
        let raw = context.parameters.get(name) ?? ""
        guard let text = raw.removingPercentEncoding else { throw WebError.badRequest("bad percent-encoding in \(name)") }
        return text
    }

    /// An integer query parameter in `range`, or `fallback` when absent.
    static func integer(_ request: Request, _ name: String, in range: ClosedRange<Int>, default fallback: Int) throws(WebError) -> Int {
        guard let text = request.uri.queryParameters.get(name) else { return fallback }
        guard let value = Int(text), range.contains(value) else {
            throw WebError.badRequest("\(name) must be a whole number in \(range.lowerBound)...\(range.upperBound), not \"\(text)\"")
        }
        return value
    }

    // MARK: - Health

    func health() async throws -> Response {
        do {
            _ = try await pool.run { store in try store.webCommand(RedisCommand("PING")) }
            return Response.json(#"{"redis":"ok","status":"ok"}"#)
        } catch {
            let failure = WebError.from(error)
            return Response.json("{\"error\":{\"code\":\(JSONWriter.quoted(failure.code)),\"message\":\(JSONWriter.quoted(failure.message))},\"redis\":\"unreachable\",\"status\":\"unavailable\"}",
                                 status: failure.status == .serviceUnavailable ? .serviceUnavailable : failure.status)
        }
    }
}
