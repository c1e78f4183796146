import Hummingbird

/// One endpoint: its method, its path (Hummingbird's syntax: `:id` is one segment), the query
/// parameters it takes, and its handler. `WebAPI.routes` lists them all once; the router is
/// built from the list, and `RouteCheckMiddleware` answers from the same list what the router
/// cannot: 405 with `Allow` for a known path and another method, 400 for a query parameter the
/// endpoint does not take.
struct WebRoute: Sendable {
    typealias Handler = @Sendable (Request, BasicRequestContext) async throws -> Response

    /// The method.
    let method: HTTPRequest.Method
    /// The path template.
    let path: String
    /// The query parameters taken; nil: not checked (the dashboard's page, the health check and
    /// `/metrics`, which load balancers and scrapers may call with cache-busting parameters).
    let query: Set<String>?
    /// What answers.
    let handler: Handler

    init(_ method: HTTPRequest.Method, _ path: String, query: Set<String>? = [], _ handler: @escaping Handler) {
        self.method = method
        self.path = path
        self.query = query
        self.handler = handler
    }

    /// Whether a request's path is this route's: the same segments, `:name` standing for any one.
    func matches(_ requestPath: Substring) -> Bool {
        let template = path.split(separator: "/")
        let parts = requestPath.split(separator: "/")
        guard template.count == parts.count else { return false }
        return zip(template, parts).allSatisfy { $0.hasPrefix(":") || $0 == $1 }
    }
}
