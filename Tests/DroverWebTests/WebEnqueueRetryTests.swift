import DroverCore
import DroverQueue
import DroverTestSupport
import Foundation
import Testing

/// `POST /api/v1/jobs` when the reply to its enqueue is lost: the redis-server is stopped
/// (SIGSTOP) with the request in its socket and continued after the 200 ms command timeout. The
/// API retries once with the same id; when the outcome stays unknown it answers 504
/// `outcome_unknown` with the id, and the same body sent again with that id returns the job.
@Suite(.serialized) struct WebEnqueueRetryTests {
    private func stall(_ h: WebHarness, milliseconds: UInt32) throws -> Thread {
        let pid = try #require(h.redis.pid)
        kill(pid, SIGSTOP)
        let thread = Thread {
            usleep(milliseconds * 1000)
            kill(pid, SIGCONT)
        }
        thread.start()
        return thread
    }

    private func queued(_ h: WebHarness) throws -> [String] {
        try #require(try h.redis.client().command("LRANGE", "{drover}:queue:default:0", "0", "-1").array).compactMap(\.string)
    }

    @Test func aLostReplyIsRetriedAnUnknownOutcomeIs504AndARepeatIsNoCopy() async throws {
        try await WebHarness.with(redisCommandTimeout: .milliseconds(200)) { h in
            let client = h.client()
            let body = #"{"name":"report","args":{"n":1}}"#
            // Every pool thread connected before the stall.
            for _ in 0..<8 { #expect(try await client.get("/api/v1/queues").status == 200) }

            var waker = try stall(h, milliseconds: 350)
            let created = try await client.post("/api/v1/jobs", body)
            while !waker.isFinished { usleep(1_000) }
            #expect(created.status == 201, "\(created)")
            let first = try #require(created.object["id"] as? String)
            #expect(try queued(h) == [first])

            waker = try stall(h, milliseconds: 1_500)
            let lost = try await client.post("/api/v1/jobs", body)
            while !waker.isFinished { usleep(1_000) }
            #expect(lost.status == 504, "\(lost)")
            #expect(lost.errorCode == "outcome_unknown", "\(lost)")
            let id = try #require((lost.object["error"] as? [String: Any])?["id"] as? String, "\(lost)")
            let again = #"{"name":"report","args":{"n":1},"id":"\#(id)"}"#
            var repeated: HTTPReply?
            try await eventually("the repeat is answered") {
                repeated = try await client.post("/api/v1/jobs", again)
                return repeated?.status != 503
            }
            let reply = try #require(repeated)
            #expect(reply.status == 200, "\(reply)")
            #expect(reply.object["id"] as? String == id && reply.object["repeated"] as? Bool == true, "\(reply)")
            #expect(try queued(h) == [first, id])
            let other = try await client.post("/api/v1/jobs", #"{"name":"report","args":{"n":2},"id":"\#(id)"}"#)
            #expect(other.status == 400, "\(other)")
        }
    }
}
