import DroverCore
import DroverTestSupport
@testable import DroverWeb
import Foundation
import Testing

/// Who may do what (issue 7 "Safety"): every state change needs the bearer token; reads need it
/// too unless `open_reads`; `/`, `/healthz` and the OpenAPI document are public.
@Suite(.serialized)
struct WebAuthTests {
    static let reads = ["/api/v1/queues", "/api/v1/jobs?state=failed", "/api/v1/failed", "/api/v1/scheduled",
                        "/api/v1/workers", "/api/v1/periodic", "/metrics", "/api/v1/jobs/01M8MAM6WYBS40NGZBD74RADSH",
                        "/api/v1/queues/default/jobs?state=queued"]

    static func writes(_ id: JobID) -> [(String, String, String?)] {
        [("POST", "/api/v1/jobs", #"{"name": "x"}"#), ("POST", "/api/v1/jobs/\(id)/cancel", nil),
         ("POST", "/api/v1/jobs/\(id)/requeue", nil), ("DELETE", "/api/v1/jobs/\(id)", nil),
         ("POST", "/api/v1/failed/requeue", "{}")]
    }

    @Test func withoutTheTokenEveryEndpointButThePublicOnesIs401AndNothingChanges() async throws {
        try await WebHarness.with { web in
            let failed = try web.failed()
            for token in [String?.none, "wrong", WebHarness.token + "x", String(WebHarness.token.dropLast())] {
                let client = web.client(token: .some(token))
                for path in Self.reads {
                    let reply = try await client.get(path)
                    #expect(reply.status == 401 && reply.errorCode == "unauthorized", "\(path) with \(token ?? "none"): \(reply)")
                    #expect(reply.headers["www-authenticate"]?.hasPrefix("Bearer") == true)
                }
                for (method, path, body) in Self.writes(failed) {
                    let reply = try await client.send(method, path, body: body)
                    #expect(reply.status == 401, "\(method) \(path) with \(token ?? "none"): \(reply)")
                }
            }
            #expect(try web.store.job(failed)?.state == .failed, "a refused request changed nothing")
            #expect(try web.store.info().map(\.name) == ["default"], "a refused enqueue wrote nothing")
            let anonymous = web.client(token: .some(nil))
            for path in ["/", "/healthz", "/api/v1/openapi.json"] {
                #expect(try await anonymous.raw.get(path).status == 200, "\(path) is public")
            }
        }
    }

    @Test func theRightTokenIsAcceptedWhateverTheSchemesCase() async throws {
        try await WebHarness.with { web in
            let failed = try web.failed()
            let reply = try await web.api.send("POST", "/api/v1/jobs/\(failed)/requeue",
                                               headers: [:])
            #expect(reply.status == 200, "\(reply)")
            let lower = try await web.client(token: .some(nil)).send(
                "GET", "/api/v1/queues", headers: ["Authorization": "bearer \(WebHarness.token)"])
            #expect(lower.status == 200, "\(lower)")
            let basic = try await web.client(token: .some(nil)).send(
                "GET", "/api/v1/queues", headers: ["Authorization": "Basic \(WebHarness.token)"])
            #expect(basic.status == 401, "\(basic)")
        }
    }

    @Test func openReadsLetGetsThroughButNotWrites() async throws {
        try await WebHarness.with(openReads: true) { web in
            let failed = try web.failed()
            let anonymous = web.client(token: .some(nil))
            for path in Self.reads {
                let reply = try await anonymous.get(path)
                #expect(reply.status != 401 && reply.status != 403, "\(path): \(reply)")
            }
            for (method, path, body) in Self.writes(failed) {
                let reply = try await anonymous.send(method, path, body: body)
                #expect(reply.status == 401, "\(method) \(path): \(reply)")
            }
        }
    }

    @Test func withNoTokenConfiguredWritesAre403NeverAllowed() async throws {
        try await WebHarness.with(token: nil) { web in
            let failed = try web.failed()
            for client in [web.client(token: .some(nil)), web.client(token: .some("anything"))] {
                for (method, path, body) in Self.writes(failed) {
                    let reply = try await client.send(method, path, body: body)
                    #expect(reply.status == 403 && reply.errorCode == "no_token_configured", "\(method) \(path): \(reply)")
                }
                let read = try await client.get("/api/v1/queues")
                #expect(read.status == 403, "\(read)")
            }
            #expect(try web.store.job(failed)?.state == .failed)
        }
    }

    @Test func theTokenComparisonChecksEveryByteAndTheLength() {
        let token = BearerToken("abc123")
        #expect(token.accepts(authorization: "Bearer abc123"))
        #expect(token.accepts(authorization: "BEARER abc123"))
        #expect(!token.accepts(authorization: "Bearer abc12"))
        #expect(!token.accepts(authorization: "Bearer abc1234"))
        #expect(!token.accepts(authorization: "Bearer xbc123"))
        #expect(!token.accepts(authorization: "Bearer "))
        #expect(!token.accepts(authorization: "abc123"))
        #expect(!token.accepts(authorization: nil))
    }
}
