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

    /// Redis in one namespace, a directory for files, a store over Redis's unix socket, and the
    /// environments of a worker on either side.
    struct Setup {
        let net: NetworkPartition
        let dir: String
        let store: JobStore
        /// For a process in Drover's namespace: Redis over TCP, through the partition.
        let cutOffEnvironment: [String: String]
        /// For a process on Redis's side: its unix socket (a file, which no network rule touches).
        let otherEnvironment: [String: String]

        /// Starts `drover ARGUMENTS` in Drover's namespace, cut off when the network is.
        func startCutOff(_ arguments: [String], awaiting: String) throws -> ChildProgram {
            let command = try net.inside(net.droverNamespace, [WorkerHarness.binary] + arguments)
            return try ChildProgram.start(command.path, command.arguments, environment: cutOffEnvironment, awaiting: awaiting)
        }

        /// Starts `drover ARGUMENTS` on Redis's side of the partition.
        func startOther(_ arguments: [String], awaiting: String) throws -> ChildProgram {
            try ChildProgram.start(WorkerHarness.binary, ["drover"] + arguments, environment: otherEnvironment, awaiting: awaiting)
        }
    }

    /// Runs `body` with Redis in a namespace of its own; removes everything afterwards, also on
    /// failure. Cancels the test when namespaces cannot be made here.
    static func withPartitionedRedis(_ body: (Setup) throws -> Void) throws {
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
        // TCP on Redis's address for the cut-off side, and a unix socket for the test and the
        // other side. Protected mode off: the address exists only between the two private
        // namespaces.
        let server = try net.inside(net.redisNamespace, [
            try Executables.find("redis-server"), "--port", "6379", "--bind", net.redisAddress, "--protected-mode", "no",
            "--unixsocket", socket, "--unixsocketperm", "700", "--save", "", "--appendonly", "no", "--dir", dir,
        ])
        let redis = try ChildProgram.start(server.path, server.arguments, awaiting: "ready to accept connections")
        defer { redis.terminate() }
        var environment = ProcessInfo.processInfo.environment.filter { key, _ in
            !key.hasPrefix("REDIS_") && !key.hasPrefix("DROVER_")
        }
        environment["SWIFT_BACKTRACE"] = "enable=no"
        var cutOff = environment
        cutOff["REDIS_URL"] = "redis://\(net.redisAddress):6379/0"
        environment["REDIS_URL"] = "unix://\(socket)"
        try body(Setup(net: net, dir: dir, store: JobStore(client: RedisClient(url: RedisURL(endpoint: .unix(path: socket)))),
                       cutOffEnvironment: cutOff, otherEnvironment: environment))
    }

    @Test func aWorkerCutOffPastItsLeaseStopsItsRunBeforeAnotherWorkerRunsTheJob() throws {
        try Self.withPartitionedRedis { setup in
            let runs = setup.dir + "/runs.log"
            let script = setup.dir + "/record.sh"
            try Self.program.write(toFile: script, atomically: true, encoding: .utf8)
            chmod(script, 0o755)
            let config = setup.dir + "/drover.yml"
            try "exec:\n  record: { command: [\(script), \(runs)] }\n".write(toFile: config, atomically: true, encoding: .utf8)

            let cutOff = try setup.startCutOff(["work", "--lease", "3", "--name", "cut-off", "--config", config], awaiting: "serving")
            defer { cutOff.terminate(signal: .kill) }
            let id = try setup.store.enqueue(EnqueueRequest(name: "record", argsJSON: "{}")).id
            do {
                try Self.waitUntil("the cut-off worker's run started") {
                    (try? String(contentsOfFile: runs, encoding: .utf8))?.contains("start") == true
                }
            } catch {
                throw TestFixtureError("\(error); the cut-off worker said:\n\(cutOff.drain())")
            }
            try setup.net.cut()

            let other = try setup.startOther(["work", "--lease", "3", "--name", "other", "--config", config], awaiting: "serving")
            defer { other.terminate() }
            try Self.waitUntil("the other worker finished the job", timeout: .seconds(40)) {
                let job = try? setup.store.job(id)
                return job?.state == .finished && job?.worker == "other"
            }
            try setup.net.heal()

            let job = try #require(try setup.store.job(id))
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
    }

    /// A run that succeeded while its worker was cut off for longer than its lease (issue 15,
    /// item 15), allowed one attempt: a scheduler on Redis's side recovers it as failed, and
    /// when the network heals the run's finish gets through and the job ends finished.
    @Test func aSuccessThatReachesRedisAfterARecoveryIsKept() throws {
        try Self.withPartitionedRedis { setup in
            let scheduler = try setup.startOther(["scheduler", "--sweep-interval", "0.2", "--lease", "3"], awaiting: "scheduler ready")
            defer { scheduler.terminate() }
            let cutOff = try setup.startCutOff(["work", "--lease", "3", "--name", "cut-off"], awaiting: "serving")
            defer { cutOff.terminate(signal: .kill) }
            var options = JobOptions()
            options.maxAttempts = 1
            let id = try setup.store.enqueue(EnqueueRequest(name: "builtin.sleep", argsJSON: #"{"seconds": 1}"#, options: options)).id
            try Self.waitUntil("the job started") { (try? setup.store.job(id))?.state == .started }
            try setup.net.cut()
            // The run ends within its lease, but its finish cannot get through; the lease runs
            // out and the scheduler, which never lost Redis, recovers the run as failed.
            try Self.waitUntil("the scheduler recovered the run", timeout: .seconds(20)) { (try? setup.store.job(id))?.state == .failed }
            #expect(try setup.store.job(id)?.error?.type == "LeaseExpired")
            try setup.net.heal()
            try Self.waitUntil("the late finish got through", timeout: .seconds(40)) { (try? setup.store.job(id))?.state == .finished }
            let job = try #require(try setup.store.job(id))
            #expect(job.resultJSON != nil && job.error == nil && job.attempt == 1 && job.worker == "cut-off")
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
