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
}
