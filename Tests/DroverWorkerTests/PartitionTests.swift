import DroverCore
import DroverQueue
import DroverRedis
import DroverSystem
import DroverTestSupport
import Foundation
import Testing

/// A worker cut off from Redis by a real network partition (issue 15, item 14): network
/// namespaces joined by a veth pair, Redis in one, the cut-off worker in the other behind
/// nftables drop rules, and a second worker on Redis's side (its unix socket). The job is an
/// exec program that ignores TERM and writes its start and a beat every 50 ms to a file, so the
/// runs' own records show whether two of them ever ran at once.
@Suite(.serialized) struct PartitionTests {
    /// Prints `start PID NS`, then `beat PID NS` every 50 ms for about 6 s, then `{"ran": true}`.
    static let program = """
        #!/bin/sh
        trap '' TERM
        echo "start $$ $(date +%s%N)" >> "$1"
        i=0
        while [ $i -lt 120 ]; do
          echo "beat $$ $(date +%s%N)" >> "$1"
          sleep 0.05
          i=$((i + 1))
        done
        echo "end $$ $(date +%s%N)" >> "$1"
        echo '{"ran": true}'
        """

    @Test func aWorkerCutOffPastItsLeaseStopsItsRunBeforeAnotherWorkerRunsTheJob() throws {
        let net: NetworkPartition
        do {
            guard NetworkPartition.toolsPresent else { throw TestFixtureError("ip or nft is missing (Scripts/setup --test)") }
            net = try NetworkPartition()
        } catch {
            try Test.cancel("network namespaces cannot be created here, so no partition can be made: \(error)")
        }
        defer { net.remove() }

        var template = Array("/tmp/drv-part-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw TestFixtureError("mkdtemp failed") }
        let dir = String(cString: made)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let socket = dir + "/r.sock"
        let runs = dir + "/runs.log"
        let script = dir + "/record.sh"
        try Self.program.write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        let config = dir + "/drover.yml"
        try "exec:\n  record: { command: [\(script), \(runs)] }\n".write(toFile: config, atomically: true, encoding: .utf8)

        // Redis in its namespace: TCP on its address for the cut-off worker, and a unix socket
        // (a file, which no network rule touches) for the test and the other worker. Protected
        // mode off: the address exists only between the two private namespaces.
        let server = try net.inside(net.redisNamespace, [
            try Executables.find("redis-server"), "--port", "6379", "--bind", net.redisAddress, "--protected-mode", "no",
            "--unixsocket", socket, "--unixsocketperm", "700", "--save", "", "--appendonly", "no", "--dir", dir,
        ])
        let redis = try ChildProgram.start(server.path, server.arguments, awaiting: "ready to accept connections")
        defer { redis.terminate() }
        let store = JobStore(client: RedisClient(url: RedisURL(endpoint: .unix(path: socket))))

        var environment = ProcessInfo.processInfo.environment.filter { key, _ in
            !key.hasPrefix("REDIS_") && !key.hasPrefix("DROVER_")
        }
        environment["SWIFT_BACKTRACE"] = "enable=no"
        environment["REDIS_URL"] = "redis://\(net.redisAddress):6379/0"
        let worker = try net.inside(net.droverNamespace, [WorkerHarness.binary, "work", "--lease", "3", "--name", "cut-off",
                                                          "--config", config])
        let cutOff = try ChildProgram.start(worker.path, worker.arguments, environment: environment, awaiting: "serving")
        defer { cutOff.terminate(signal: .kill) }

        let id = try store.enqueue(EnqueueRequest(name: "record", argsJSON: "{}")).id
        do {
            try Self.waitUntil("the cut-off worker's run started") { (try? String(contentsOfFile: runs, encoding: .utf8))?.contains("start") == true }
        } catch {
            throw TestFixtureError("\(error); the cut-off worker said:\n\(cutOff.drain())")
        }
        try net.cut()

        environment["REDIS_URL"] = "unix://\(socket)"
        let other = try ChildProgram.start(WorkerHarness.binary, ["drover", "work", "--lease", "3", "--name", "other", "--config", config],
                                           environment: environment, awaiting: "serving")
        defer { other.terminate() }
        try Self.waitUntil("the other worker finished the job", timeout: .seconds(40)) {
            let job = try? store.job(id)
            return job?.state == .finished && job?.worker == "other"
        }
        try net.heal()

        let job = try #require(try store.job(id))
        #expect(job.resultJSON == #"{"ran": true}"#)
        #expect(job.attempt == 2)
        // The cut-off worker cancelled its run (the program ignored TERM) and then ended its
        // process, killing the program, before the lease could expire.
        #expect(cutOff.terminate(signal: .kill) == .exited(75), "\(cutOff.drain())")

        let spans = try Self.runSpans(in: runs)
        #expect(spans.count == 2, "\(spans)")
        for (earlier, later) in zip(spans, spans.dropFirst()) {
            #expect(earlier.last < later.first,
                    "two runs at once: run \(earlier.pid) still ran \(Double(earlier.last - later.first) / 1e6) ms after run \(later.pid) started")
        }
    }

    /// Each run's first and last record (ns since the epoch), in order of start.
    static func runSpans(in path: String) throws -> [(pid: String, first: Int64, last: Int64)] {
        var spans: [String: (first: Int64, last: Int64)] = [:]
        for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") {
            let words = line.split(separator: " ")
            guard words.count == 3, let at = Int64(words[2]) else { continue }
            let pid = String(words[1])
            let span = spans[pid] ?? (at, at)
            spans[pid] = (min(span.first, at), max(span.last, at))
        }
        return spans.map { (pid: $0.key, first: $0.value.first, last: $0.value.last) }.sorted { $0.first < $1.first }
    }

    static func waitUntil(_ what: String, timeout: Duration = .seconds(10), _ condition: () -> Bool) throws {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            if ContinuousClock.now > deadline { throw TestFixtureError("timed out waiting until \(what)") }
            usleep(20_000)
        }
    }
}
