import Hummingbird

/// Runs before every route: refuses what the token does not allow, and turns every error into
/// a JSON body (`WebError`), so no endpoint ever answers with an empty 500 or an HTML page.
struct GuardMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext

    let token: BearerToken?
    let openReads: Bool

    /// Endpoints any client may GET: the dashboard's page (it holds no data; its requests carry
    /// the token), the health check (load balancers, systemd) and the OpenAPI document.
    static let publicPaths: Set<String> = ["/", "/healthz", "/api/v1/openapi.json"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let isRead = request.method == .get || request.method == .head
        if let refusal = refusal(request, isRead: isRead) { return refusal.response }
        do {
            return try await next(request, context)
        } catch {
            return WebError.from(error).response
        }
    }

    private func refusal(_ request: Request, isRead: Bool) -> WebError? {
        if isRead && (openReads || Self.publicPaths.contains(request.uri.path)) { return nil }
        guard let token else {
            return WebError(.forbidden, "no_token_configured", isRead
                ? "reads need a token, and none is configured: set http.token_file, or http.open_reads: true"
                : "state-changing requests need a token, and none is configured: set http.token_file")
        }
        if token.accepts(authorization: request.headers[.authorization]) { return nil }
        return WebError(.unauthorized, "unauthorized",
                        request.headers[.authorization] == nil ? "this request needs Authorization: Bearer <token>"
                                                                : "the bearer token is wrong")
    }
}
