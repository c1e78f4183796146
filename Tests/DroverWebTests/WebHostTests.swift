import DroverCore
import DroverTestSupport
@testable import DroverWeb
import Foundation
import Testing

/// The server answers only to the host names it was configured for (issue 15, item 7): a page
/// whose own name was rebound to 127.0.0.1 (DNS rebinding) sends its name in `Host`, and with
/// `open_reads` it could otherwise read every queue, argument and error.
@Suite(.serialized)
struct WebHostTests {
    static func get(_ web: WebHarness, _ path: String, host: String) async throws -> HTTPReply {
        try await web.client(token: .some(nil)).raw.sendRaw("GET \(path) HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n\r\n")
    }

    @Test func onlyLoopbackNamesTheListenAddressAndConfiguredNamesAreAnswered() async throws {
        try await WebHarness.with(openReads: true, configure: { $0.allowedHosts = ["drover.example.com", "Board.Example:8443"] }) { web in
            try web.failed(message: "a secret in an error")
            let port = web.port
            for host in ["127.0.0.1:\(port)", "127.0.0.1", "localhost:\(port)", "LocalHost", "[::1]:\(port)", "[::1]",
                         "drover.example.com", "drover.example.com:9999", "DROVER.example.com.", "board.example:8443",
                         // An address is no name a rebinding page controls (a load balancer's check).
                         "[::2]", "10.1.2.3:\(port)", "192.0.2.7"] {
                let reply = try await Self.get(web, "/api/v1/failed", host: host)
                #expect(reply.status == 200, "Host: \(host): \(reply)")
            }
            for host in ["evil.example", "evil.example:\(port)", "board.example", "board.example:9181", "localhost.evil.example",
                         "127.0.0.1.nip.io:\(port)", "1.2.3.4.5", "256.1.1.1"] {
                for path in ["/api/v1/failed", "/api/v1/queues", "/healthz", "/"] {
                    let reply = try await Self.get(web, path, host: host)
                    #expect(reply.status == 421 && reply.errorCode == "unknown_host", "Host: \(host) \(path): \(reply)")
                    #expect(!reply.body.contains("a secret"))
                    let message = (reply.object["error"] as? [String: Any])?["message"] as? String ?? ""
                    #expect(message.contains("http.allowed_hosts"), "\(message)")
                }
            }
            let noHost = try await web.client(token: .some(nil)).raw.sendRaw("GET /api/v1/failed HTTP/1.0\r\nConnection: close\r\n\r\n")
            #expect(noHost.status == 400 && noHost.errorCode == "bad_request", "\(noHost)")
        }
    }

    @Test func theListenAddressIsAcceptedWithAndWithoutPort() {
        let v4 = HostCheckMiddleware(listenHost: "10.1.2.3", allowed: [])
        #expect(v4.accepts("10.1.2.3") && v4.accepts("10.1.2.3:9181") && v4.accepts("localhost:9181") && v4.accepts("[::1]"))
        #expect(!v4.accepts("example.com") && !v4.accepts("") && !v4.accepts("a b"))
        // Any address literal is answered: no rebinding page can put one in Host.
        #expect(v4.accepts("10.1.2.4:9181") && v4.accepts("[fd00::6]"))
        let v6 = HostCheckMiddleware(listenHost: "fd00::5", allowed: ["[fd00::6]:80"])
        #expect(v6.accepts("[fd00::5]") && v6.accepts("[FD00::5]:9181") && v6.accepts("[fd00::6]:80"))
        #expect(!v6.accepts("fd00::5") && !v6.accepts("fd00.example:81"))
    }
}
