@testable import DroverQueue
import DroverCore
import DroverRedis
import DroverTestSupport
import Foundation
import Testing

@Suite struct EnqueueTests {
    @Test func enqueueNowIsQueued() throws {
        let h = try QueueHarness()
        let before = QueueHarness.now
        let result = try h.store.enqueue(EnqueueRequest(name: "send_email", argsJSON: #"{"to":"a@example.com"}"#))
        let after = QueueHarness.now
        #expect(result.state == .queued)
        #expect(result.duplicate == false)
        #expect(result.id.rawValue.count == 26)

        let job = try h.job(result.id)
        #expect(job.state == .queued)
        #expect(job.name == "send_email")
        #expect(job.queue == "default")
        #expect(job.argsJSON == #"{"to":"a@example.com"}"#)
        #expect(job.priority == 0)
        #expect(job.attempt == 0)
        #expect(job.maxAttempts == 25)
        #expect(job.lease == 0)
        #expect(job.scheduledFor == nil)
        #expect(job.startedAt == nil)
        let enqueuedAt = try #require(job.enqueuedAt)
        #expect((before...after).contains(enqueuedAt))
        #expect(job.createdAt == enqueuedAt)

        #expect(try h.queued("default") == [result.id])
        // The documented registry page of a queue lists it too.
        #expect(try h.store.ids(in: "queue", queue: "default") == [result.id])
        #expect(try h.card(h.keys.scheduled("default")) == 0)
        #expect(try h.client.command("SISMEMBER", h.keys.queues, "default").int == 1)
        #expect(try h.client.command("LLEN", h.keys.signal("default")).int == 1)
        #expect(try h.stat("default", "enqueued") == 1)
    }

    @Test func enqueueWithFutureRunAtIsScheduled() throws {
        let h = try QueueHarness()
        let runAt = QueueHarness.now + 60_000
        let result = try h.store.enqueue(EnqueueRequest(name: "later", options: {
            var o = JobOptions(); o.runAt = runAt; return o
        }()))
        #expect(result.state == .scheduled)
        let job = try h.job(result.id)
        #expect(job.state == .scheduled)
        #expect(job.scheduledFor == runAt)
        #expect(try h.score(h.keys.scheduled("default"), result.id) == Double(runAt))
        #expect(try h.queued("default").count == 0)
        #expect(try h.client.command("LLEN", h.keys.signal("default")).int == 0)

        // A run time already past runs now.
        let past = try h.store.enqueue(EnqueueRequest(name: "overdue", options: {
            var o = JobOptions(); o.runAt = QueueHarness.now - 5_000; return o
        }()))
        #expect(past.state == .queued)
        #expect(try h.job(past.id).scheduledFor == nil)
        #expect(try h.queued("default") == [past.id])
    }

    @Test func everyOptionIsStoredAndReadBack() throws {
        let h = try QueueHarness()
        var options = JobOptions()
        options.queue = "mail.out"
        options.priority = -7
        options.maxAttempts = 3
        // Millisecond values that are not exact binary fractions of a second (1.005 s * 1000 is
        // 1004.999… in floating point).
        options.backoff = Backoff(base: TimeSpan(milliseconds: 1_005), factor: 1.5,
                                  cap: TimeSpan(milliseconds: 600_001), jitter: 0.1)
        options.softTimeLimit = TimeSpan(milliseconds: 1_001)
        options.timeLimit = TimeSpan(milliseconds: 2_003)
        options.uniqueKey = "order:42"
        options.resultTTL = .seconds(60)
        options.failureTTL = .hours(1)
        options.id = JobID("order-42-email")
        let before = QueueHarness.now
        let result = try h.store.enqueue(EnqueueRequest(name: "mail.send", argsJSON: "[1,2,3]", options: options))
        #expect(result == EnqueueResult(id: JobID("order-42-email"), state: .queued, duplicate: false))
        let job = try h.job(result.id)
        let enqueuedAt = try #require(job.enqueuedAt)
        #expect(enqueuedAt >= before)
        let expected = Job(
            id: JobID("order-42-email"), name: "mail.send", queue: "mail.out", argsJSON: "[1,2,3]", state: .queued,
            priority: -7, attempt: 0, maxAttempts: 3, backoff: options.backoff,
            softTimeLimit: TimeSpan(milliseconds: 1_001), timeLimit: TimeSpan(milliseconds: 2_003),
            uniqueKey: "order:42", createdAt: enqueuedAt, enqueuedAt: enqueuedAt,
            resultTTL: .seconds(60), failureTTL: .hours(1), lease: 0, cancelRequested: false)
        #expect(job == expected)
        #expect(try h.uniqueHolder("order:42") == "order-42-email")
    }

    @Test func manyInBatchesAreAllPresentInOrder() throws {
        let h = try QueueHarness()
        let requests = (0..<1_000).map { EnqueueRequest(name: "n\($0)", argsJSON: "{\"i\":\($0)}") }
        let results = try h.store.enqueue(requests, batchSize: 100)
        #expect(results.count == 1_000)
        #expect(results.allSatisfy { $0.state == .queued && !$0.duplicate })
        #expect(Set(results.map(\.id)).count == 1_000)

        // Result i is request i's job.
        for (i, result) in results.enumerated() {
            let job = try h.job(result.id)
            #expect(job.name == "n\(i)" && job.argsJSON == "{\"i\":\(i)}")
        }
        #expect(try h.queued("default").count == 1_000)
        // And the queue hands them out in enqueue order, across batches.
        var fetched: [JobID] = []
        while let next = try h.fetch() { fetched.append(next.id) }
        #expect(fetched == results.map(\.id))
    }

    @Test func batchResultsKeepOrderWithDuplicatesAndScheduledJobs() throws {
        let h = try QueueHarness()
        func request(_ name: String, _ configure: (inout JobOptions) -> Void = { _ in }) -> EnqueueRequest {
            var options = JobOptions()
            configure(&options)
            return EnqueueRequest(name: name, options: options)
        }
        let runAt = QueueHarness.now + 60_000
        let results = try h.store.enqueue([
            request("a") { $0.id = JobID("a"); $0.uniqueKey = "k" },
            request("b") { $0.id = JobID("b"); $0.runAt = runAt },
            request("c") { $0.id = JobID("c"); $0.uniqueKey = "k" },
            request("d") { $0.id = JobID("d"); $0.queue = "other" },
        ])
        #expect(results == [
            EnqueueResult(id: JobID("a"), state: .queued, duplicate: false),
            EnqueueResult(id: JobID("b"), state: .scheduled, duplicate: false),
            EnqueueResult(id: JobID("a"), state: nil, duplicate: true),
            EnqueueResult(id: JobID("d"), state: .queued, duplicate: false),
        ])
        #expect(try h.store.job(JobID("c")) == nil)
        #expect(try h.job(JobID("d")).queue == "other")
    }

    @Test func takenIdIsInvalidRequestAndWritesNothing() throws {
        let h = try QueueHarness()
        let id = try h.enqueue("first", args: "[1]") { $0.id = JobID("fixed-1") }
        let before = try h.store.job(id)
        let size = try h.dbsize()
        let keys = try h.allKeys()
        let error = queueError {
            try h.store.enqueue(EnqueueRequest(name: "second", argsJSON: "[2]", options: {
                var o = JobOptions(); o.id = JobID("fixed-1"); o.queue = "elsewhere"; return o
            }()))
        }
        #expect(error?.code == .invalidRequest)
        #expect(try h.store.job(id) == before)
        #expect(try h.dbsize() == size)
        #expect(try h.allKeys() == keys)
        #expect(try h.queued("default") == [id])
        #expect(try h.queued("elsewhere").count == 0)
    }

    @Test func aBatchWithOneTakenIdWritesNoneOfItsJobs() throws {
        let h = try QueueHarness()
        let id = try h.enqueue("first", args: "[1]") { $0.id = JobID("fixed-2") }
        let keys = try h.allKeys()
        func request(_ id: String?) -> EnqueueRequest {
            var options = JobOptions()
            options.id = id.map(JobID.init)
            return EnqueueRequest(name: "batch", options: options)
        }
        // Plain jobs, careful jobs before and after the taken id, over several script calls.
        let batch = (0..<150).map { _ in request(nil) } + (0..<150).map { request("own-\($0)") } + [request("fixed-2")]
        #expect(queueError { try h.store.enqueue(batch, batchSize: 100) }?.code == .invalidRequest)
        #expect(try h.allKeys() == keys)
        #expect(try h.queued("default") == [id])
        // The same id twice in one call is refused before anything is sent.
        #expect(queueError { try h.store.enqueue([request("twice"), request("twice")]) }?.code == .invalidRequest)
        #expect(try h.allKeys() == keys)
    }

    @Test func enqueuedJobsAreCountedByQueueAndNameOnEveryPath() throws {
        let h = try QueueHarness()
        func request(_ name: String, _ configure: (inout JobOptions) -> Void = { _ in }) -> EnqueueRequest {
            var options = JobOptions()
            configure(&options)
            return EnqueueRequest(name: name, options: options)
        }
        // Plain (MULTI/EXEC), delayed and unique (the script); a live unique key's duplicate is
        // not a new job and is not counted.
        _ = try h.store.enqueue([request("a"), request("a"), request("b"), request("a"), request("b")])
        _ = try h.store.enqueue(request("a") { $0.runAt = Timestamp.nowMilliseconds() + 60_000 })
        _ = try h.store.enqueue(request("a with space") { $0.uniqueKey = "u" })
        _ = try h.store.enqueue(request("a with space") { $0.uniqueKey = "u" })
        _ = try h.store.enqueue(request("c") { $0.queue = "other" })
        func count(_ queue: String, _ field: String) throws -> Int? {
            try h.client.command("HGET", h.store.keys.metrics(queue), field).string.flatMap { Int($0) }
        }
        #expect(try count("default", "enqueued a") == 4)
        #expect(try count("default", "enqueued b") == 2)
        #expect(try count("default", "enqueued a with space") == 1)
        #expect(try count("other", "enqueued c") == 1)
    }

    struct BadRequest: Sendable, CustomTestStringConvertible {
        var label: String
        var request: EnqueueRequest
        var testDescription: String { label }

        init(_ label: String, name: String = "task", args: String = "{}", _ configure: (inout JobOptions) -> Void = { _ in }) {
            var options = JobOptions()
            configure(&options)
            self.label = label
            request = EnqueueRequest(name: name, argsJSON: args, options: options)
        }
    }

    static let badRequests: [BadRequest] = [
        BadRequest("unclosed object", args: "{"),
        BadRequest("missing value", args: #"{"a":}"#),
        BadRequest("trailing garbage", args: "{} x"),
        BadRequest("single quotes", args: "{'a':1}"),
        BadRequest("empty args", args: ""),
        BadRequest("raw control character", args: "\"a\u{01}b\""),
        BadRequest("queue with a space") { $0.queue = "has space" },
        BadRequest("queue with a slash") { $0.queue = "a/b" },
        BadRequest("empty queue") { $0.queue = "" },
        BadRequest("queue of 101 bytes") { $0.queue = String(repeating: "q", count: 101) },
        BadRequest("queue with braces") { $0.queue = "{x}" },
        BadRequest("priority 1001") { $0.priority = 1001 },
        BadRequest("priority -1001") { $0.priority = -1001 },
        BadRequest("soft limit equal to hard") { $0.softTimeLimit = .seconds(10); $0.timeLimit = .seconds(10) },
        BadRequest("soft limit above hard") { $0.softTimeLimit = .seconds(11); $0.timeLimit = .seconds(10) },
        BadRequest("zero attempts") { $0.maxAttempts = 0 },
        BadRequest("empty name", name: ""),
        BadRequest("id with a space") { $0.id = JobID("a b") },
        BadRequest("empty unique key") { $0.uniqueKey = "" },
        // Issue 15, items 1 and 9: limits past what the arithmetic holds, nesting past 64 levels.
        BadRequest("args nested 65 levels", args: String(repeating: "[", count: 65) + String(repeating: "]", count: 65)),
        BadRequest("args nested 510 levels", args: "{\"a\":" + String(repeating: "[", count: 509) + String(repeating: "]", count: 509) + "}"),
        BadRequest("args over 16 MiB", args: "\"" + String(repeating: "x", count: 16 << 20) + "\""),
    ]

    @Test(arguments: badRequests)
    func invalidRequestWritesNothing(_ bad: BadRequest) throws {
        let h = try QueueHarness()
        try h.enqueue("existing")
        let before = try h.snapshot()
        let single = queueError { try h.store.enqueue(bad.request) }
        #expect(single?.code == .invalidRequest)
        // One bad request in a batch refuses the whole batch, even the good ones before it.
        let good = (0..<150).map { EnqueueRequest(name: "good\($0)") }
        let batch = queueError { try h.store.enqueue(good + [bad.request], batchSize: 100) }
        #expect(batch?.code == .invalidRequest)
        #expect(batch?.message.hasPrefix("job 151:") == true)
        #expect(try h.snapshot() == before)
        #expect(try h.queued("default").count == 1)
    }

    @Test func boundaryValuesAreAccepted() throws {
        let h = try QueueHarness()
        let deep = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(try h.job(try h.enqueue("deep", args: deep)).argsJSON == deep)
        let longest = try h.enqueue("longest") { $0.timeLimit = .maximum; $0.resultTTL = .maximum }
        #expect(try h.job(longest).timeLimit == .maximum)
        let high = try h.enqueue("high") { $0.priority = 1000; $0.queue = String(repeating: "q", count: 100) }
        let low = try h.enqueue("low") { $0.priority = -1000; $0.queue = "a-b_c.d:e" }
        #expect(try h.job(high).priority == 1000)
        #expect(try h.job(low).priority == -1000)
        #expect(try h.job(low).queue == "a-b_c.d:e")
    }

    @Test func binaryAndUnicodeArgumentsRoundTrip() throws {
        let h = try QueueHarness()
        let args = #"{"nul":"a\u0000b","ctl":"\u0001\u001f","esc":"\"\\\/\b\f\n\r\t","#
            + #""emoji":"🚚📦","surrogates":"\ud83d\ude9a","cjk":"配送","rtl":"שלום","combining":"e\#u{0301}","#
            + #""sep":"\#u{2028}\#u{2029}","bom":"\#u{FEFF}","max":"\#u{10FFFF}","n":[-0.0,1e308,-1.5E-7,true,false,null]}"#
        let name = "напомнить.ünïcødé"
        let id = try h.enqueue(name, args: args) { $0.uniqueKey = "ключ:🔑" }
        let job = try h.job(id)
        #expect(job.argsJSON == args)
        #expect(Array(job.argsJSON.utf8) == Array(args.utf8))
        #expect(job.name == name)
        #expect(job.uniqueKey == "ключ:🔑")
        let fetched = try #require(try h.fetch())
        #expect(fetched.args == args)
        #expect(fetched.name == name)
    }

    @Test func argumentsAreKeptAsTheirExactText() throws {
        let h = try QueueHarness()
        // Handlers decode the text themselves: 64-bit ids must not pass through a Double, and
        // member order, spacing and number spelling are the producer's.
        let args = #"{ "order_id" : 12345678901234567890, "z":1, "a":[1.50, 2e3], "price":0.1 }"#
        let plain = try h.enqueue("exact", args: args)
        let careful = try h.enqueue("exact", args: args) { $0.uniqueKey = "exact" }
        #expect(try h.job(plain).argsJSON == args)
        #expect(try h.job(careful).argsJSON == args)
        #expect(try h.fetch()?.args == args)
        #expect(try h.job(plain).argsJSON == args)
    }

    @Test func oneMegabyteArgumentsRoundTrip() throws {
        let h = try QueueHarness()
        var blob = ""
        blob.reserveCapacity(1 << 20)
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789é€😀")
        var index = 0
        while blob.utf8.count < 1 << 20 {
            blob.append(alphabet[index % alphabet.count])
            index += 1
        }
        let args = "{\"blob\":\"" + blob + "\"}"
        #expect(args.utf8.count > 1 << 20)
        let id = try h.enqueue("big", args: args)
        #expect(try h.job(id).argsJSON == args)
        #expect(try h.fetch()?.args == args)
    }

    @Test func uniqueKeyReturnsTheLiveJob() throws {
        let h = try QueueHarness()
        func enqueue(_ name: String, runAt: Int64? = nil) throws -> EnqueueResult {
            var options = JobOptions()
            options.uniqueKey = "report:7"
            options.runAt = runAt
            return try h.store.enqueue(EnqueueRequest(name: name, options: options))
        }
        // Live while scheduled…
        let first = try enqueue("first", runAt: QueueHarness.now + 60_000)
        #expect(first.state == .scheduled && !first.duplicate)
        let size = try h.dbsize()
        let second = try enqueue("second")
        #expect(second == EnqueueResult(id: first.id, state: nil, duplicate: true))
        #expect(try h.dbsize() == size)
        #expect(try h.queued("default").count == 0)
        #expect(try h.stat("default", "enqueued") == 1)

        // …queued…
        let queued = try h.make(.queued, uniqueKey: "report:8")
        var options = JobOptions()
        options.uniqueKey = "report:8"
        #expect(try h.store.enqueue(EnqueueRequest(name: "again", options: options))
            == EnqueueResult(id: queued, state: nil, duplicate: true))

        // …and started.
        let started = try h.make(.started, uniqueKey: "report:9")
        options.uniqueKey = "report:9"
        #expect(try h.store.enqueue(EnqueueRequest(name: "again", options: options))
            == EnqueueResult(id: started, state: nil, duplicate: true))
        #expect(try h.job(started).name == "made.started")
    }

    @Test(arguments: [JobState.finished, .failed, .canceled])
    func uniqueKeyIsFreedWhenTheJobEnds(_ end: JobState) throws {
        let h = try QueueHarness()
        let first = try h.make(end, uniqueKey: "nightly")
        #expect(try h.uniqueHolder("nightly") == nil)
        var options = JobOptions()
        options.uniqueKey = "nightly"
        let next = try h.store.enqueue(EnqueueRequest(name: "next", options: options))
        #expect(next.id != first)
        #expect(next.duplicate == false)
        #expect(next.state == .queued)
        #expect(try h.uniqueHolder("nightly") == next.id.rawValue)
        #expect(try h.job(first).state == end)
    }
}
