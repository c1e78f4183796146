import DroverCore
import DroverQueue
import Hummingbird
import NIOHTTP1

/// The one error type of DroverWeb: what a request could not do, as an HTTP status and a JSON
/// body `{"error": {"code", "message"}}` that a script can branch on and a person can read.
public struct WebError: Error, Sendable, CustomStringConvertible {
    /// The HTTP status.
    public var status: HTTPResponse.Status
    /// A stable, machine-readable code: `bad_request`, `unauthorized`, `not_found`, `conflict`,
    /// `payload_too_large`, `redis_unavailable`, `outcome_unknown`, `internal`.
    public var code: String
    /// What went wrong, in words.
    public var message: String
    /// With `outcome_unknown`: the id of the job whose enqueue is unconfirmed.
    public var jobID: String?

    /// Creates an error.
    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    /// 400: the request is malformed; nothing was written.
    public static func badRequest(_ message: String) -> WebError { WebError(.badRequest, "bad_request", message) }
    /// 404.
    public static func notFound(_ message: String) -> WebError { WebError(.notFound, "not_found", message) }

    /// Maps a store error: Redis down or refusing to serve is 503 (never a fake success), a bad
    /// request 400, an unknown job 404, a state that refuses the change 409.
    ///
    /// Why an error reply is 503 too: whether Redis cannot be reached or refuses Drover (a wrong
    /// password: WRONGPASS, NOAUTH; an ACL denial; OOM, MISCONF), the request could not be served
    /// and the client can only try again once an operator fixed Redis; a 500 would claim a bug in
    /// the request's handling, and `/healthz` must say 503 to a load balancer (README).
    public init(_ error: QueueError) {
        switch error.code {
        case .unavailable: self.init(.serviceUnavailable, "redis_unavailable", "Redis is unreachable: \(error.message)")
        case .redis where error.underlying?.code == .authentication:
            self.init(.serviceUnavailable, "redis_unavailable", "Redis refused Drover's login (check the password): \(error.message)")
        case .redis: self.init(.serviceUnavailable, "redis_unavailable", "Redis cannot serve the request: \(error.message)")
        case .invalidRequest: self.init(.badRequest, "bad_request", error.message)
        case .notFound: self.init(.notFound, "not_found", error.message)
        case .refused: self.init(.conflict, "conflict", error.message)
        // Not 503: Redis may have written the job. The id lets the client check it, or send the
        // same job again with it (which returns the job instead of a copy).
        case .outcomeUnknown:
            self.init(.gatewayTimeout, "outcome_unknown", error.message)
            jobID = error.unconfirmed.first?.rawValue
        default: self.init(.internalServerError, "internal", error.message)
        }
    }

    /// Any error thrown inside a handler.
    static func from(_ error: any Error) -> WebError {
        if let error = error as? WebError { return error }
        if let error = error as? QueueError { return WebError(error) }
        // NIO's HTTP/1 decoder fails the body stream of a request it cannot parse (a malformed
        // chunk size, a body cut short of its Content-Length by the client's end of stream).
        if let error = error as? HTTPParserError { return WebError.badRequest("malformed HTTP request: \(error)") }
        if let error = error as? any HTTPResponseError {
            switch error.status {
            case .notFound: return WebError(.notFound, "not_found", "no such endpoint")
            case .contentTooLarge: return WebError(.contentTooLarge, "payload_too_large", "the request body is too large")
            case .methodNotAllowed: return WebError(.methodNotAllowed, "method_not_allowed", "method not allowed here")
            default: return WebError(error.status, "http_error", "\(error.status)")
            }
        }
        return WebError(.internalServerError, "internal", "\(error)")
    }

    /// The JSON body.
    public var json: String {
        let id = jobID.map { ",\"id\":" + JSONWriter.quoted($0) } ?? ""
        return "{\"error\":{\"code\":\(JSONWriter.quoted(code)),\"message\":\(JSONWriter.quoted(message))\(id)}}"
    }

    /// The response.
    var response: Response {
        var response = Response.json(json, status: status)
        if status == .unauthorized { response.headers[.wwwAuthenticate] = "Bearer realm=\"drover\"" }
        return response
    }

    public var description: String { "\(status.code) \(code): \(message)" }
}

extension Response {
    /// A JSON response from text the caller built (always valid JSON).
    static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store",
                                           .xContentTypeOptions: "nosniff"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// A response of some other type.
    static func text(_ text: String, contentType: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: contentType],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
