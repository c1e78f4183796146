import DroverCore
import DroverTestSupport
@testable import DroverWeb
import Foundation
import Testing

/// Redis unreachable is a 503 with a JSON reason on every endpoint that needs Redis, and on
/// `/healthz`: never a fake success (issue 7). Only `/` and the OpenAPI document, which are
/// static, still answer 200.
@Suite(.serialized)
struct WebUnavailableTests {
    @Test func withRedisStoppedEveryEndpointIs503WithAReasonAndItRecoversWhenRedisIsBack() async throws {
        try await WebHarness.with { web in
            let id = try web.failed()
            #expect(try await web.api.get("/healthz").status == 200)
            web.redis.stop()
            let requests: [(String, String, String?)] = [
                ("GET", "/api/v1/queues", nil), ("GET", "/api/v1/jobs?state=failed", nil),
                ("GET", "/api/v1/queues/default/jobs?state=queued", nil), ("GET", "/api/v1/failed", nil),
                ("GET", "/api/v1/scheduled", nil), ("GET", "/api/v1/workers", nil), ("GET", "/api/v1/periodic", nil),
                ("GET", "/api/v1/jobs/\(id)", nil), ("GET", "/metrics", nil),
                ("POST", "/api/v1/jobs", #"{"name": "x"}"#), ("POST", "/api/v1/jobs/\(id)/cancel", nil),
                ("POST", "/api/v1/jobs/\(id)/requeue", nil), ("DELETE", "/api/v1/jobs/\(id)", nil),
                ("POST", "/api/v1/failed/requeue", "{}"),
            ]
            for (method, path, body) in requests {
                let started = ContinuousClock.now
                let reply = try await web.api.send(method, path, body: body)
                #expect(reply.status == 503 && reply.errorCode == "redis_unavailable", "\(method) \(path): \(reply)")
                let message = (reply.object["error"] as? [String: Any])?["message"] as? String ?? ""
                #expect(message.contains("Redis is unreachable"), "\(method) \(path): \(message)")
                #expect(ContinuousClock.now - started < .seconds(3), "\(method) \(path) answered promptly")
            }
            let health = try await web.api.get("/healthz")
            #expect(health.status == 503, "\(health)")
            #expect(health.object["status"] as? String == "unavailable" && health.object["redis"] as? String == "unreachable")
            #expect((health.object["error"] as? [String: Any])?["code"] as? String == "redis_unavailable", "\(health)")
            for path in ["/", "/api/v1/openapi.json"] {
                #expect(try await web.client(token: .some(nil)).raw.get(path).status == 200, "\(path) is static")
            }

            try web.redis.start()
            // Each of the pool's connections retries at least once a second
            // (WebSettings.maximumBackoff), so within about a second every request succeeds again.
            try await eventually("the API answers again") {
                var ok = true
                for _ in 0..<8 {
                    ok = try await web.api.raw.get("/api/v1/queues").status == 200 && ok
                    ok = try await web.api.raw.get("/healthz").status == 200 && ok
                }
                return ok
            }
        }
    }

    /// A Redis that answers but refuses Drover's login (WRONGPASS) is as unusable as one that is
    /// down: 503 on every endpoint and on `/healthz`, never 500.
    @Test func aWrongRedisPasswordIs503OnEveryEndpointAndHealthz() async throws {
        try await WebHarness.with(redisArguments: ["--requirepass", "the-right-one"],
                                  configure: { $0.redis.url.password = "a-wrong-one" }) { web in
            let id = "01M8MAM6WYBS40NGZBD74RADSH"
            let requests: [(String, String, String?)] = [
                ("GET", "/healthz", nil), ("GET", "/metrics", nil), ("GET", "/api/v1/queues", nil),
                ("GET", "/api/v1/jobs?state=failed", nil), ("GET", "/api/v1/failed", nil), ("GET", "/api/v1/workers", nil),
                ("GET", "/api/v1/periodic", nil), ("GET", "/api/v1/jobs/\(id)", nil), ("POST", "/api/v1/jobs", #"{"name": "x"}"#),
                ("POST", "/api/v1/jobs/\(id)/requeue", nil), ("DELETE", "/api/v1/jobs/\(id)", nil),
                ("POST", "/api/v1/failed/requeue", "{}"),
            ]
            for (method, path, body) in requests {
                let reply = try await web.api.send(method, path, body: body)
                #expect(reply.status == 503, "\(method) \(path): \(reply)")
                let message = (reply.object["error"] as? [String: Any])?["message"] as? String ?? ""
                #expect(message.contains("WRONGPASS") || message.contains("login"), "\(method) \(path): \(message)")
                #expect(!message.contains("a-wrong-one"), "the password is not in the answer")
            }
        }
    }

    /// A request NIO's decoder cannot parse is the client's fault: 400, not 500.
    @Test func aMalformedChunkedBodyAndABodyShorterThanItsContentLengthAre400() async throws {
        try await WebHarness.with { web in
            let head = "POST /api/v1/jobs HTTP/1.1\r\nHost: 127.0.0.1:\(web.port)\r\nAuthorization: Bearer \(WebHarness.token)\r\n"
                + "Content-Type: application/json\r\n"
            let chunked = try await web.api.raw.sendRaw(head + "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n")
            #expect(chunked.status == 400, "\(chunked)")
            let short = try await web.api.raw.sendRaw(head + "Content-Length: 100\r\n\r\n{\"name\": \"x\"}", halfClose: true)
            #expect(short.status == 400, "\(short)")
            #expect(short.errorCode == "bad_request", "\(short)")
            let queues = try await web.api.get("/api/v1/queues")
            #expect((queues.object["queues"] as? [Any])?.isEmpty == true, "nothing was written: \(queues)")
        }
    }
}
