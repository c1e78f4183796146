@testable import DroverQueue
import DroverCore
import DroverRedis
import DroverTestSupport
import Foundation
import Testing

/// Enqueue is safe to retry: ids are chosen before sending, the same job sent again with its id
/// is returned rather than copied, and a reply lost after the request went out is retried once.
/// A lost reply here is real: the redis-server is stopped (SIGSTOP) with the request in its
/// socket, so it runs the request when it is continued, after the client's command timeout.
@Suite struct EnqueueRetryTests {
    /// A store over the harness's server whose commands time out after 200 ms.
    private func impatientStore(_ h: QueueHarness) -> JobStore {
        var options = RedisClient.Options(url: h.server.url)
        options.commandTimeout = .milliseconds(200)
        options.connectTimeout = .milliseconds(300)
        return JobStore(client: RedisClient(options: options))
    }

    /// Stops the server now and continues it after `delay`, on another thread.
    private func stall(_ h: QueueHarness, for delay: Duration) throws -> Thread {
        let pid = try #require(h.server.pid)
        kill(pid, SIGSTOP)
        let thread = Thread {
            let (seconds, attoseconds) = delay.components
            usleep(UInt32(seconds * 1_000_000 + attoseconds / 1_000_000_000_000))
            kill(pid, SIGCONT)
        }
        thread.start()
        return thread
    }

    enum Kind: String, CaseIterable, CustomTestStringConvertible {
        case plain, careful, batch
        var testDescription: String { rawValue }
    }

    private func requests(_ kind: Kind) -> [EnqueueRequest] {
        switch kind {
        case .plain: return [EnqueueRequest(name: "one", argsJSON: "[1]")]
        case .careful:
            var options = JobOptions()
            options.uniqueKey = "once"
            return [EnqueueRequest(name: "one", argsJSON: "[1]", options: options)]
        case .batch: return (0..<500).map { EnqueueRequest(name: "many", argsJSON: "[\($0)]") }
        }
    }

    /// The reply is lost (the server sleeps past the 200 ms timeout); the retry waits for the
    /// server, finds the jobs that the lost call wrote, and returns them: each job once.
    @Test(arguments: Kind.allCases)
    func aLostReplyIsRetriedAndEachJobWrittenOnce(kind: Kind) throws {
        let h = try QueueHarness()
        let store = impatientStore(h)
        try store.client.command("PING")
        let batch = requests(kind)
        let waker = try stall(h, for: .milliseconds(350))
        let results = try store.enqueue(batch)
        while !waker.isFinished { usleep(1_000) }
        #expect(results.count == batch.count)
        #expect(results.allSatisfy { $0.state == .queued && !$0.duplicate && !$0.repeated })
        #expect(Set(results.map(\.id)).count == batch.count)
        let queued = try h.queued("default")
        #expect(queued.count == batch.count)
        #expect(Set(queued) == Set(results.map(\.id)))
        #expect(try h.stat("default", "enqueued") == batch.count)
        for (request, result) in zip(batch, results).prefix(3) {
            #expect(try h.job(result.id).argsJSON == request.argsJSON)
        }
    }

    /// When the retry gets no answer either, the error says that the outcome is unknown and
    /// names the ids; enqueueing the same jobs with those ids then returns them, not copies.
    @Test func anOutcomeStillUnknownNamesTheIdsAndTheirRepeatIsNoCopy() throws {
        let h = try QueueHarness()
        let store = impatientStore(h)
        try store.client.command("PING")
        let request = EnqueueRequest(name: "one", argsJSON: #"{"to":"a@b.c"}"#)
        let waker = try stall(h, for: .milliseconds(1_500))
        let error = queueError { try store.enqueue(request) }
        while !waker.isFinished { usleep(1_000) }
        let unknown = try #require(error)
        #expect(unknown.code == .outcomeUnknown, "\(unknown)")
        #expect(unknown.unconfirmed.count == 1 && unknown.confirmed == 0)
        let id = try #require(unknown.unconfirmed.first)
        #expect(unknown.message.contains(id.rawValue))

        // The stalled server ran the first call when it was continued.
        let deadline = ContinuousClock.now + .seconds(5)
        while try h.store.job(id) == nil, ContinuousClock.now < deadline { usleep(5_000) }
        var again = request
        again.options.id = id
        let repeated = try h.store.enqueue(again)
        #expect(repeated == EnqueueResult(id: id, state: .queued, duplicate: false, repeated: true))
        #expect(try h.queued("default") == [id])
        #expect(try h.stat("default", "enqueued") == 1)
    }

    /// The same job sent again with its id is returned in whatever state it is, wherever it is
    /// stored (its record, or its own hash once it ran), and its times may differ; another job
    /// with that id is still refused.
    @Test func theSameJobWithItsIdIsReturnedAndAnotherRefused() throws {
        let h = try QueueHarness()
        func request(_ id: String, name: String = "job", args: String = "[1]",
                     _ configure: (inout JobOptions) -> Void = { _ in }) -> EnqueueRequest {
            var options = JobOptions()
            options.id = JobID(id)
            options.queue = id
            configure(&options)
            return EnqueueRequest(name: name, argsJSON: args, options: options)
        }
        let scheduled = request("scheduled") { $0.runAt = QueueHarness.now + 60_000 }
        let unique = request("unique") { $0.uniqueKey = "u" }
        let all = [request("queued"), request("started"), request("finished"), request("failed") { $0.maxAttempts = 1 },
                   scheduled, unique]
        for one in all { _ = try h.store.enqueue(one) }
        let started = try #require(try h.fetch(["started"]))
        let finished = try #require(try h.fetch(["finished"]))
        _ = try h.finish(finished.id, lease: finished.lease, outcome: "finished", payload: "1")
        let failed = try #require(try h.fetch(["failed"]))
        _ = try h.finish(failed.id, lease: failed.lease, outcome: "failed", payload: QueueHarness.boom)
        let keys = try h.allKeys()
        let stats = try h.dbsize()

        var later = scheduled
        later.options.runAt = QueueHarness.now + 120_000  // a repeated `--in 60s`: the same job
        let states: [(EnqueueRequest, JobState)] = [
            (all[0], .queued), (all[1], .started), (all[2], .finished), (all[3], .failed), (later, .scheduled), (all[5], .queued),
        ]
        for (again, state) in states {
            let result = try h.store.enqueue(again)
            #expect(result == EnqueueResult(id: again.options.id!, state: state, duplicate: false, repeated: true), "\(state)")
        }
        // In a batch that takes several script calls too (the check before writing).
        let batch = try h.store.enqueue(Array(all.prefix(4)) + [request("new")], batchSize: 2)
        #expect(batch.map(\.repeated) == [true, true, true, true, false])
        #expect(try h.store.job(JobID("new"))?.state == .queued)
        _ = started
        _ = stats

        // Another name, other arguments or other options under a taken id: refused, nothing written.
        let written = try h.allKeys()
        for other in [request("queued", name: "other"), request("queued", args: "[2]"), request("queued") { $0.priority = 3 },
                      request("finished", args: "[1] ")] {
            #expect(queueError { try h.store.enqueue(other) }?.code == .invalidRequest)
            #expect(queueError { try h.store.enqueue([other, request("new2")], batchSize: 1) }?.code == .invalidRequest)
        }
        #expect(try h.allKeys() == written)
        #expect(written.count >= keys.count)
    }
}
