import Drover
import Foundation
import Testing
import WelcomeJobs

/// The README's producer example, run against a real redis-server as an app's test would.
@Suite struct ScheduleWelcomeTests {
    @Test func theWelcomeMailIsScheduledOnItsQueueAndCanBeCanceled() async throws {
        let redis = try PrivateRedis()
        let before = Timestamp.nowMilliseconds()
        let id = try await scheduleWelcome(userID: 42, redisURL: redis.url)

        let producer = Producer(url: try RedisURL(parsing: redis.url))
        let job = try #require(try await producer.job(id))
        #expect(job.name == "send_welcome")
        #expect(job.queue == "mail")
        #expect(job.state == .scheduled)
        #expect(job.argsJSON == #"{"userID":42}"#)
        let due = try #require(job.scheduledFor)
        #expect(due >= before + 30_000 && due <= Timestamp.nowMilliseconds() + 30_000)

        _ = try await producer.cancel(id)
        #expect(try await producer.job(id)?.state == .canceled)
    }

    @Test func theWorkerServesTheWelcomeHandler() {
        #expect(welcomeHandlers.map(\.name) == ["send_welcome"])
    }
}
