import DroverCore
import DroverQueue
import DroverSystem
import DroverTestSupport
import Foundation
import Testing

/// logrotate/drover against a real `drover worker` writing to a private log directory.
///
/// No systemd runs here (docs/platform.md), so the test's copy of the file differs from the shipped
/// one in three substitutions, each checked to exist: the log directory, the user that owns the
/// files (this test's user instead of `drover`), and the postrotate command (`kill -USR1 PID` of
/// this test's master instead of `systemctl kill -s USR1 drover.service`). The systemctl path is
/// exercised by Scripts/systemd-test under a real systemd.
@Suite(.serialized) struct LogrotateTests {
    /// The shipped file with the test's three substitutions.
    static func config(logDirectory: String, masterPID: Int32?) throws -> String {
        var text = try Repository.read("logrotate/drover")
        let user = String(cString: getpwuid(getuid()).pointee.pw_name)
        let group = String(cString: getgrgid(getgid()).pointee.gr_name)
        let postrotate = "systemctl kill --kill-whom=main --signal=USR1 'drover.service' 'drover@*.service' >/dev/null 2>&1 || true"
        for original in ["/var/log/drover/*.log {", "su drover drover", "create 0640 drover drover", postrotate] {
            #expect(text.contains(original), "logrotate/drover no longer contains \(original): update this test")
        }
        text = text.replacingOccurrences(of: "/var/log/drover/*.log {", with: "\(logDirectory)/*.log {")
        text = text.replacingOccurrences(of: "su drover drover", with: "su \(user) \(group)")
        text = text.replacingOccurrences(of: "create 0640 drover drover", with: "create 0640 \(user) \(group)")
        text = text.replacingOccurrences(of: postrotate, with: masterPID.map { "kill -USR1 \($0)" } ?? "true")
        return text
    }

    @Test func logrotateAcceptsTheConfigInADryRun() throws {
        let directory = try TempDirectory(prefix: "drover-lr")
        let logs = directory.path + "/logs"
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        try "a line\n".write(toFile: logs + "/drover.log", atomically: true, encoding: .utf8)
        let conf = directory.path + "/drover.conf"
        try Self.config(logDirectory: logs, masterPID: nil).write(toFile: conf, atomically: true, encoding: .utf8)
        let run = try Tool.run("logrotate", ["-d", "-s", directory.path + "/state", conf])
        #expect(run.exitCode == 0, "\(run)")
        #expect(!run.stderr.contains("error"), "\(run)")
        // -d goes as far as deciding what to do with the file it found.
        #expect((run.stdout + run.stderr).contains("considering log \(logs)/drover.log"), "\(run)")
    }

    @Test func rotationUnderLoadLosesNoLineAndTheMasterMovesToTheNewFile() throws {
        let server = try RedisServer()
        let store = JobStore(client: server.client())
        let directory = try TempDirectory(prefix: "drover-lr")
        let logs = directory.path + "/logs"
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        let log = logs + "/drover.log"
        var environment = ProcessInfo.processInfo.environment.filter { key, _ in
            !key.hasPrefix("DROVER_") && key != "NOTIFY_SOCKET" && !key.hasPrefix("WATCHDOG_")
        }
        environment["REDIS_URL"] = server.urlString
        environment["SWIFT_BACKTRACE"] = "enable=no"
        // Debug: the master writes one "started job ID" line per job, which is what is counted.
        let master = try ChildProgram.start(try DroverBinary.path(),
                                            ["drover", "worker", "--concurrency", "2", "--log-level", "debug", "--logfile", log],
                                            environment: environment)
        defer { master.terminate() }
        try Self.awaitFile(log, containing: "ready:")

        let conf = directory.path + "/drover.conf"
        try Self.config(logDirectory: logs, masterPID: master.pid.rawValue).write(toFile: conf, atomically: true, encoding: .utf8)
        chmod(conf, 0o644)  // logrotate ignores a config file that others may write

        // Jobs before, during and after the rotation: the rotation lands while the children are busy.
        let before = try store.enqueue(Array(repeating: EnqueueRequest(name: "builtin.noop"), count: 300)).map(\.id.rawValue)
        try Self.awaitFinished(store, 300)
        // The master reads its children's lines at its next pass (within a second), then logs them.
        try Self.awaitFile(log, containingAll: before.map { "started job \($0)" })
        let during = try store.enqueue(Array(repeating: EnqueueRequest(name: "builtin.noop"), count: 3000)).map(\.id.rawValue)
        let rotate = try Tool.run("logrotate", ["-f", "-s", directory.path + "/state", conf])
        #expect(rotate.exitCode == 0, "\(rotate)")
        #expect(rotate.stderr.isEmpty, "\(rotate)")
        try Self.awaitFile(log, containing: "log files reopened")
        let after = try store.enqueue(Array(repeating: EnqueueRequest(name: "builtin.noop"), count: 300)).map(\.id.rawValue)
        try Self.awaitFinished(store, 3600)
        try Self.awaitFile(log, containingAll: after.map { "started job \($0)" })

        let old = try String(contentsOfFile: log + ".1", encoding: .utf8)
        let new = try String(contentsOfFile: log, encoding: .utf8)
        // No line lost or doubled: every job's "started job" line is in exactly one of the files.
        var count: [String: Int] = [:]
        for line in (old + new).split(separator: "\n") {
            #expect(line.hasPrefix("20") && line.contains(" drover."), "a torn or foreign line: \(line)")
            if let range = line.range(of: " started job ") {
                count[String(line[range.upperBound...].prefix(26)), default: 0] += 1
            }
        }
        for id in before + during + after {
            #expect(count[id] == 1, "job \(id): \(count[id] ?? 0) started lines")
        }
        #expect(before.allSatisfy { old.contains($0) }, "jobs run before the rotation belong in the old file")
        #expect(after.allSatisfy { new.contains($0) }, "jobs enqueued after the reopen belong in the new file")

        // The old file is closed by the master, and the new one is the master's.
        let masterFiles = try Self.openFiles(master.pid.rawValue)
        #expect(!masterFiles.contains(log + ".1"), "the master still holds the rotated file: \(masterFiles)")
        #expect(masterFiles.contains(log), "the master does not hold the new file: \(masterFiles)")
        var info = stat()
        #expect(stat(log, &info) == 0 && info.st_mode & 0o777 == 0o640, "create 0640 made the new file")
        #expect(try String(contentsOfFile: directory.path + "/state", encoding: .utf8).contains(log))

        // The children inherited the master's descriptor at fork; the master passes the
        // rotation on to them as HUP (USR1 would cancel their jobs), and each reopens the path.
        let children = try Self.childPIDs(master.pid.rawValue)
        #expect(children.count == 2)
        let deadline = ContinuousClock.now + .seconds(5)
        var holding = children
        while !holding.isEmpty, ContinuousClock.now < deadline {
            holding = try holding.filter { try Self.openFiles($0).contains(log + ".1") }
            if !holding.isEmpty { usleep(20_000) }
        }
        #expect(holding.isEmpty, "children \(holding) still hold the rotated file")
        for child in children {
            #expect(try Self.openFiles(child).contains(log), "child \(child) does not hold the new file")
        }
        let logText = try String(contentsOfFile: log, encoding: .utf8)
        #expect(!logText.contains("signal HUP"), "a child died on the HUP:\n\(logText)")
    }

    // MARK: - Helpers

    /// Polls the file until it contains `text` (the master's own log line is the event).
    static func awaitFile(_ path: String, containing text: String, timeout: Duration = .seconds(15)) throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let content = try? String(contentsOfFile: path, encoding: .utf8), content.contains(text) { return }
            usleep(20_000)
        }
        let content = (try? String(contentsOfFile: path, encoding: .utf8)) ?? "(missing)"
        throw TestFixtureError("\(path) did not show \"\(text)\" within \(timeout):\n\(content.suffix(2000))")
    }

    static func awaitFile(_ path: String, containingAll texts: [String], timeout: Duration = .seconds(15)) throws {
        let deadline = ContinuousClock.now + timeout
        var missing = texts
        while ContinuousClock.now < deadline {
            if let content = try? String(contentsOfFile: path, encoding: .utf8) {
                missing = missing.filter { !content.contains($0) }
                if missing.isEmpty { return }
            }
            usleep(20_000)
        }
        throw TestFixtureError("\(path) did not show \(missing.count) of \(texts.count) lines within \(timeout), e.g. \(missing.prefix(3))")
    }

    /// Polls Redis until `count` jobs of queue default have finished.
    static func awaitFinished(_ store: JobStore, _ count: Int, timeout: Duration = .seconds(30)) throws {
        let deadline = ContinuousClock.now + timeout
        var finished = 0
        while ContinuousClock.now < deadline {
            finished = try store.info().first { $0.name == "default" }?.finished ?? 0
            if finished >= count { return }
            usleep(20_000)
        }
        throw TestFixtureError("\(finished) of \(count) jobs finished within \(timeout)")
    }

    /// The files a process holds open, from /proc/PID/fd.
    static func openFiles(_ pid: Int32) throws -> [String] {
        let directory = "/proc/\(pid)/fd"
        return try FileManager.default.contentsOfDirectory(atPath: directory).compactMap {
            try? FileManager.default.destinationOfSymbolicLink(atPath: directory + "/" + $0)
        }
    }

    /// A process's children, from /proc/PID/task/*/children.
    static func childPIDs(_ pid: Int32) throws -> [Int32] {
        let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")
        return tasks.flatMap { task in
            ((try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/children", encoding: .utf8)) ?? "")
                .split(separator: " ").compactMap { Int32($0) }
        }
    }
}
