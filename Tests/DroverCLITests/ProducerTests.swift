import Drover
import DroverRedis
import DroverTestSupport
import Foundation
import Testing

/// `Producer`, Drover's Swift producer API, against a real redis-server: an enqueue whose reply
/// is lost is retried with the same id, and one whose outcome stays unknown says so with the id,
/// which a repeat can use without making a copy. A lost reply is real: the server is stopped
/// (SIGSTOP) with the request in its socket and continued after the 200 ms command timeout.
@Suite struct ProducerTests {
    struct Mail: Codable, Sendable { var to: String }

    private func producer(_ server: RedisServer) -> Producer {
        var options = RedisClient.Options(url: server.url)
        options.commandTimeout = .milliseconds(200)
        options.connectTimeout = .milliseconds(300)
        return Producer(options: options)
    }

    /// Stops the server now, and continues it after `milliseconds` on another thread.
    private func stall(_ server: RedisServer, milliseconds: UInt32) throws -> Thread {
        let pid = try #require(server.pid)
        kill(pid, SIGSTOP)
        let thread = Thread {
            usleep(milliseconds * 1000)
            kill(pid, SIGCONT)
        }
        thread.start()
        return thread
    }

    private func queued(_ server: RedisServer) throws -> [String] {
        try #require(try server.client().command("LRANGE", "{drover}:queue:default:0", "0", "-1").array).compactMap(\.string)
    }

    @Test func enqueueAndRead() async throws {
        let server = try RedisServer()
        let producer = producer(server)
        let id = try await producer.enqueue("send", arguments: Mail(to: "a@b.c"))
        let job = try #require(try await producer.job(id))
        #expect(job.name == "send" && job.argsJSON == #"{"to":"a@b.c"}"# && job.state == .queued)
    }

    @Test func aLostReplyIsRetriedWithTheSameID() async throws {
        let server = try RedisServer()
        let producer = producer(server)
        _ = try await producer.job(JobID("warm-up"))  // connected before the stall
        let waker = try stall(server, milliseconds: 350)
        let id = try await producer.enqueue("send", arguments: Mail(to: "a@b.c"))
        while !waker.isFinished { usleep(1_000) }
        #expect(try queued(server) == [id.rawValue])
        #expect(try await producer.job(id)?.state == .queued)
    }

    @Test func anUnknownOutcomeNamesTheIDAndARepeatWithItMakesNoCopy() async throws {
        let server = try RedisServer()
        let producer = producer(server)
        _ = try await producer.job(JobID("warm-up"))
        let waker = try stall(server, milliseconds: 1_500)
        var unknown: QueueError?
        do {
            _ = try await producer.enqueue("send", arguments: Mail(to: "a@b.c"))
        } catch {
            unknown = error
        }
        while !waker.isFinished { usleep(1_000) }
        let error = try #require(unknown)
        #expect(error.code == .outcomeUnknown, "\(error)")
        let id = try #require(error.unconfirmed.first)
        var options = JobOptions()
        options.id = id
        // Until Redis answers again the repeat may find it unreachable; then it returns the job.
        let deadline = ContinuousClock.now + .seconds(5)
        var repeated: JobID?
        while repeated == nil, ContinuousClock.now < deadline {
            repeated = try? await producer.enqueue("send", arguments: Mail(to: "a@b.c"), options: options)
            if repeated == nil { usleep(20_000) }
        }
        #expect(repeated == id)
        #expect(try queued(server) == [id.rawValue])
        // Another job under that id is refused.
        await #expect(throws: QueueError.self) {
            try await producer.enqueue("send", arguments: Mail(to: "x@y.z"), options: options)
        }
    }
}
