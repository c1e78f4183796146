@testable import DroverQueue
import DroverCore
import DroverRedis
import DroverTestSupport
import Foundation
import Synchronization
import Testing

/// `waitForWorkThenFetch`: an idle worker's BLPOP with its fetch pipelined behind it.
@Suite struct WaitThenFetchTests {
    let spec = FetchSpec(queues: ["default"], worker: "host-a:100")

    /// Polls CLIENT LIST until a client sits in BLPOP (the event the test waits on).
    func awaitBlockedClient(_ h: QueueHarness) throws {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if let list = try h.client.command("CLIENT", "LIST").string, list.contains("cmd=blpop") { return }
            usleep(1000)
        }
        throw TestFixtureError("no client blocked in BLPOP within 10 s")
    }

    @Test func aWaitThatEndsEmptyReturnsNil() throws {
        let h = try QueueHarness()
        #expect(try h.store.waitForWorkThenFetch(spec, timeout: .milliseconds(50)) == nil)
        // The connection serves ordinary commands afterwards.
        #expect(try h.client.command("PING").string == "PONG")
    }

    @Test func aQueuedJobIsTakenWithoutWaiting() throws {
        let h = try QueueHarness()
        let id = try h.enqueue("ready")
        let job = try #require(try h.store.waitForWorkThenFetch(spec, timeout: .seconds(5)))
        #expect(job.id == id)
        #expect(try h.job(id).state == .started)
    }

    /// The job enqueued during the wait comes back from that same call, started at the
    /// server's clock when the wait ended, not at the worker's clock when it sent the fetch.
    @Test func aJobEnqueuedDuringTheWaitComesBackStartedAtTheWaitsEnd() throws {
        let h = try QueueHarness()
        // Its own connection, used only by the waiting thread.
        nonisolated(unsafe) let waiter = JobStore(client: h.server.client(), prefix: "drover")
        let result = Mutex<Result<FetchedJob?, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        let spec = self.spec
        Thread {
            result.withLock { $0 = Result { try waiter.waitForWorkThenFetch(spec, timeout: .seconds(10)) } }
            done.signal()
        }.start()
        try awaitBlockedClient(h)
        // The check below means something only once the clock has moved past the send time.
        usleep(30_000)
        let enqueuedAt = Timestamp.nowMilliseconds()
        let id = try h.enqueue("late")
        #expect(done.wait(timeout: .now() + 10) == .success)
        let outcome = try #require(result.withLock { $0 })
        let job = try #require(try outcome.get())
        #expect(job.id == id)
        let started = try #require(try h.job(id).startedAt)
        #expect(started >= enqueuedAt, "started_at \(started) is before the enqueue at \(enqueuedAt)")
    }

    /// A restarted Redis has no scripts: the pipelined EVALSHA gets NOSCRIPT (and did not run),
    /// so the call falls back to a fetch that loads the script again.
    @Test func aForgottenScriptIsLoadedAgain() throws {
        let h = try QueueHarness()
        let id = try h.enqueue("after-flush")
        _ = try h.store.fetch(FetchSpec(queues: ["empty"], worker: "w"))  // loads the script
        _ = try h.client.command("SCRIPT", "FLUSH")
        let job = try #require(try h.store.waitForWorkThenFetch(spec, timeout: .seconds(5)))
        #expect(job.id == id)
    }
}

extension WaitThenFetchTests {
    /// `CLIENT UNBLOCK … ERROR` fails the wait, but Redis still runs the fetch behind it: the
    /// job it took comes back rather than being dropped with the wait's error.
    @Test func aJobTakenAfterAFailedWaitIsNotDropped() throws {
        let h = try QueueHarness()
        let id = try h.enqueue("behind-an-error")
        // No token: the waiter blocks although a job is queued.
        _ = try h.client.command("DEL", h.keys.signal("default"))
        nonisolated(unsafe) let waiter = JobStore(client: h.server.client(), prefix: "drover")
        let result = Mutex<Result<FetchedJob?, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        let spec = self.spec
        Thread {
            result.withLock { $0 = Result { try waiter.waitForWorkThenFetch(spec, timeout: .seconds(10)) } }
            done.signal()
        }.start()
        try awaitBlockedClient(h)
        let list = try #require(try h.client.command("CLIENT", "LIST").string)
        let line = try #require(list.split(separator: "\n").first { $0.contains("cmd=blpop") })
        let clientID = try #require(line.split(separator: " ").first { $0.hasPrefix("id=") }?.dropFirst(3))
        _ = try h.client.command("CLIENT", "UNBLOCK", String(clientID), "ERROR")
        #expect(done.wait(timeout: .now() + 10) == .success)
        let outcome = try #require(result.withLock { $0 })
        let job = try #require(try outcome.get())
        #expect(job.id == id)
    }

    /// A fetch that runs past its deadline (Redis stalled; the worker may have stopped reading)
    /// takes nothing, and the job stays queued for the next fetch.
    @Test func aFetchPastItsDeadlineTakesNothing() throws {
        let h = try QueueHarness()
        let id = try h.enqueue("later")
        let reply = try h.eval(QueueScripts.fetch, [String(QueueHarness.now), "30000", "host-a:100", "1", "default", "1", "1"])
        #expect(reply.isNull)
        #expect(try h.job(id).state == .queued)
        #expect(try h.fetch()?.id == id)
    }
}
