import DroverTestSupport
import Foundation
import Testing

/// `drover enqueue` when the reply to its enqueue is lost: Redis is paused for writes
/// (`CLIENT PAUSE … WRITE`), so the request is sent and read but answered only after the CLI's
/// 5 s command timeout. The CLI retries once with the same ids (the lost connection killed
/// first), and says when the outcome still cannot be known: exit 75, never 69, and for
/// `--count` how many jobs are confirmed. Serialized: each test waits out real timeouts.
@Suite("drover enqueue with a lost reply", .serialized)
struct EnqueueLostReplyTests {
    /// The queue's ids: each once, and how many.
    private func queuedIDs(_ h: CLIHarness) throws -> [String] {
        let client = h.server.client()
        return try #require(try client.command("LRANGE", "{drover}:queue:default:0", "0", "-1").array).compactMap(\.string)
    }

    private func pauseWrites(_ h: CLIHarness, seconds: Int) throws {
        try h.server.client().command("CLIENT", "PAUSE", String(seconds * 1000), "WRITE")
    }

    @Test("--count: a reply lost once is retried, and every job is written once")
    func countRetried() throws {
        let h = try CLIHarness()
        try pauseWrites(h, seconds: 7)
        let run = try h.drover("enqueue", "builtin.noop", "--count", "20000")
        #expect(run.exitCode == 0, "\(run)")
        #expect(run.stdout.hasPrefix("enqueued 20000 jobs on default"), "\(run)")
        let ids = try queuedIDs(h)
        #expect(ids.count == 20_000)
        #expect(Set(ids).count == 20_000)
    }

    @Test("--count: when the retry's reply is lost too, exit 75 with the confirmed count; no job twice")
    func countUnknown() throws {
        let h = try CLIHarness()
        try pauseWrites(h, seconds: 12)
        let run = try h.drover("enqueue", "builtin.noop", "--count", "20000")
        try h.server.client().command("CLIENT", "UNPAUSE")
        #expect(run.exitCode == 75, "\(run)")
        #expect(run.stderr.contains("0 of 20000 jobs are confirmed"), "\(run)")
        #expect(run.stderr.contains("whether 10000 more were is unknown"), "\(run)")
        #expect(run.stdout.isEmpty, "\(run)")
        let ids = try queuedIDs(h)
        #expect(ids.count <= 10_000)
        #expect(Set(ids).count == ids.count)
    }

    @Test("one job: exit 75 naming its id; the command repeated with --id returns it, never a copy")
    func singleUnknownThenRepeated() throws {
        let h = try CLIHarness()
        try pauseWrites(h, seconds: 12)
        let run = try h.drover("enqueue", "builtin.noop", "--args", "[7]")
        try h.server.client().command("CLIENT", "UNPAUSE")
        #expect(run.exitCode == 75, "\(run)")
        let words = run.stderr.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
        let id = try #require(words.first { JobIDText.isValid($0) }, "\(run)")
        #expect(run.stderr.contains("--id \(id)"), "\(run)")
        for _ in 0..<2 {
            let again = try h.drover("enqueue", "builtin.noop", "--args", "[7]", "--id", id)
            #expect(again.exitCode == 0, "\(again)")
            #expect(again.stdout.hasPrefix(id), "\(again)")
        }
        #expect(try queuedIDs(h) == [id])
        // Another job under that id is refused.
        let other = try h.drover("enqueue", "builtin.noop", "--args", "[8]", "--id", id)
        #expect(other.exitCode == 64, "\(other)")
        #expect(try queuedIDs(h) == [id])
    }
}
