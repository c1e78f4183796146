import DroverCore
import DroverTestSupport
@testable import DroverWeb
import Foundation
import Testing

/// The OpenAPI document against the server: every operation it lists is called once, and the
/// answer must be one of that operation's documented responses with a body that matches
/// (`CheckedClient`). The other suites check the same for every reply they get.
@Suite(.serialized)
struct WebOpenAPITests {
    @Test func everyDocumentedOperationAnswersWithADocumentedResponse() async throws {
        let document = try #require(try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json.utf8)) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        try await WebHarness.with { web in
            var operations: [(String, String)] = []
            for (template, item) in paths.sorted(by: { $0.key < $1.key }) {
                for method in ["get", "post", "delete"] where item[method] != nil {
                    operations.append((method.uppercased(), template))
                }
            }
            #expect(operations.count == 16, "\(operations)")
            // Deletions last, so the other operations still find their job.
            operations.sort { ($0.0 == "DELETE" ? 1 : 0) < ($1.0 == "DELETE" ? 1 : 0) }
            for (method, template) in operations {
                // A failed job for everything but cancel, which needs one that is not over.
                let job = template.hasSuffix("/cancel") ? try web.enqueue() : try web.failed()
                var path = template.replacingOccurrences(of: "{id}", with: job.rawValue)
                    .replacingOccurrences(of: "{queue}", with: "default")
                if template.hasSuffix("/jobs") && method == "GET" { path += "?state=failed" }
                let body = method == "POST" && template == "/api/v1/jobs" ? #"{"name": "x"}"# : nil
                let reply = try await web.api.send(method, path, body: body)
                #expect(reply.status < 300, "\(method) \(path): \(reply)")
            }
        }
    }

    @Test func theDocumentIsServedAsWrittenAndItsReferencesResolve() async throws {
        try await WebHarness.with { web in
            let reply = try await web.api.get("/api/v1/openapi.json")
            #expect(reply.body == OpenAPIDocument.json)
            // Every $ref points at something in the document.
            var refs: [String] = []
            var rest = Substring(OpenAPIDocument.json)
            while let range = rest.range(of: #""$ref": ""#) {
                let tail = rest[range.upperBound...]
                refs.append(String(tail.prefix { $0 != "\"" }))
                rest = tail
            }
            #expect(refs.count > 20)
            let document = reply.object
            for ref in Set(refs) {
                var node: Any? = document
                for part in ref.dropFirst(2).split(separator: "/") { node = (node as? [String: Any])?[String(part)] }
                #expect(node != nil, "\(ref) resolves")
            }
        }
    }

    /// The document states the bounds the server enforces, and the server holds to them: a
    /// value at a documented bound is served, one past it is a 400 that the document lists for
    /// that operation (`CheckedClient` fails on an undocumented status).
    @Test func theDocumentStatesTheBoundsTheServerEnforces() async throws {
        let document = try #require(try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json.utf8)) as? [String: Any])
        let components = try #require(document["components"] as? [String: Any])
        let parameters = try #require(components["parameters"] as? [String: [String: Any]])
        let schemas = try #require(components["schemas"] as? [String: [String: Any]])
        func schema(_ parameter: String) -> [String: Any] { parameters[parameter]?["schema"] as? [String: Any] ?? [:] }
        func matches(_ pattern: Any?, _ text: String) throws -> Bool {
            let regex = try NSRegularExpression(pattern: try #require(pattern as? String))
            return regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
        }
        let offsetMax = try #require(schema("offset")["maximum"] as? Int)
        let limitMax = try #require(schema("limit")["maximum"] as? Int)
        let idSchema = schema("id")
        let idMax = try #require(idSchema["maxLength"] as? Int)
        #expect(idSchema["minLength"] as? Int == 1)
        let queue = try #require(schemas["QueueName"])
        let queueMax = try #require(queue["maxLength"] as? Int)
        let enqueue = try #require(schemas["EnqueueRequest"]?["properties"] as? [String: [String: Any]])
        #expect(enqueue["name"]?["minLength"] as? Int == 1)
        let uniqueMax = try #require(enqueue["unique_key"]?["maxLength"] as? Int)
        let attemptsMax = try #require(enqueue["max_attempts"]?["maximum"] as? Int)
        let priorityMax = try #require(enqueue["priority"]?["maximum"] as? Int)

        try await WebHarness.with { web in
            let failed = try web.failed()
            for (path, ok) in [("/api/v1/failed?offset=\(offsetMax)", true), ("/api/v1/failed?offset=\(offsetMax + 1)", false),
                               ("/api/v1/failed?limit=\(limitMax)", true), ("/api/v1/failed?limit=\(limitMax + 1)", false),
                               ("/api/v1/queues/\(String(repeating: "q", count: queueMax))/jobs?state=failed", true),
                               ("/api/v1/queues/\(String(repeating: "q", count: queueMax + 1))/jobs?state=failed", false),
                               ("/api/v1/failed?queue=a.b:c-d_e", true), ("/api/v1/failed?queue=a%20b", false)] {
                let reply = try await web.api.get(path)
                #expect(ok ? reply.status == 200 : reply.status == 400, "\(path): \(reply)")
            }
            #expect(try matches(queue["pattern"], "a.b:c-d_e") && !(try matches(queue["pattern"], "a b")))
            #expect(try matches(idSchema["pattern"], failed.rawValue) && !(try matches(idSchema["pattern"], "a b")))

            // Every operation on one job refuses a malformed id with a documented 400.
            for id in ["a%20b", String(repeating: "i", count: idMax + 1)] {
                for (method, suffix) in [("GET", ""), ("DELETE", ""), ("POST", "/cancel"), ("POST", "/requeue")] {
                    let reply = try await web.api.send(method, "/api/v1/jobs/\(id)\(suffix)")
                    #expect(reply.status == 400 && reply.errorCode == "bad_request", "\(method) \(id)\(suffix): \(reply)")
                }
            }
            let longest = try await web.api.get("/api/v1/jobs/\(String(repeating: "i", count: idMax))")
            #expect(longest.status == 404, "an id of the longest documented length is well formed: \(longest)")

            let bodies: [(String, Bool)] = [
                (#"{"name": ""}"#, false),
                (#"{"name": "x", "unique_key": "\#(String(repeating: "k", count: uniqueMax))"}"#, true),
                (#"{"name": "x", "unique_key": "\#(String(repeating: "k", count: uniqueMax + 1))"}"#, false),
                (#"{"name": "x", "max_attempts": \#(attemptsMax)}"#, true),
                (#"{"name": "x", "max_attempts": \#(attemptsMax + 1)}"#, false),
                (#"{"name": "x", "priority": \#(priorityMax)}"#, true),
                (#"{"name": "x", "priority": \#(priorityMax + 1)}"#, false),
            ]
            for (body, ok) in bodies {
                let reply = try await web.api.post("/api/v1/jobs", body)
                #expect(ok ? reply.status == 201 : reply.status == 400, "\(body.prefix(80)): \(reply)")
            }
        }
    }
}
