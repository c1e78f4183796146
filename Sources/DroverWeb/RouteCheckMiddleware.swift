import Hummingbird

/// Runs before every route and before the token check: what is malformed about the request
/// whoever sends it.
///
/// - A method the path does not take is 405 with `Allow` (RFC 9110 §15.5.6), not the router's
///   404: the path exists, and `Allow` says what it takes. HEAD goes with GET.
/// - A query parameter the endpoint does not take is 400 naming it, so a typo (`?limt=5`) or a
///   filter the API does not have (`?name=`) is not silently ignored and answered with a page
///   the client did not ask for.
struct RouteCheckMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext

    let routes: [WebRoute]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = Substring(request.uri.path)
        let matching = routes.filter { $0.matches(path) }
        guard !matching.isEmpty else { return try await next(request, context) }
        let method = request.method == .head ? .get : request.method
        guard let route = matching.first(where: { $0.method == method }) else {
            var allowed = matching.map(\.method.rawValue)
            if allowed.contains("GET") { allowed.append("HEAD") }
            let allow = allowed.joined(separator: ", ")
            var response = WebError(.methodNotAllowed, "method_not_allowed",
                                    "\(request.method.rawValue) is not allowed on \(request.uri.path): it takes \(allow)").response
            response.headers[.allow] = allow
            return response
        }
        if let taken = route.query {
            for (name, _) in request.uri.queryParameters where !taken.contains(String(name)) {
                let known = taken.isEmpty ? "this endpoint takes none" : "known: \(taken.sorted().joined(separator: ", "))"
                return WebError.badRequest("unknown query parameter \"\(name)\" (\(known))").response
            }
        }
        return try await next(request, context)
    }
}
