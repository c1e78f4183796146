import DroverSystem
import Foundation

/// What the `drover bench` commands share.
enum BenchSupport {
    /// This very binary, so the workers, masters and schedulers a benchmark spawns serve the
    /// same built-in handlers.
    static var binary: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// The value at fraction `p` (0...1) of ascending `sorted`, nearest rank; 0 when empty.
    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
    }

    /// A process's proportional set size in MiB (`Pss:` of `/proc/PID/smaps_rollup`): its
    /// private pages plus its share of pages mapped by others, such as the code it shares with
    /// its children. Nil when the file cannot be read.
    static func proportionalSetMiB(of pid: ProcessID) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/smaps_rollup", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("Pss:") {
            if let kib = Double(line.dropFirst(4).split(separator: " ").first ?? "") { return kib / 1024 }
        }
        return nil
    }

    /// Starts a `drover work` process of this binary (`extra`: its queues and flags), quiet but
    /// for errors, against the benchmark's Redis and prefix.
    static func spawnWorker(_ connection: ConnectionOptions, _ extra: [String]) throws -> ProcessID {
        var environment = ProcessHardening.childEnvironment
        environment["SWIFT_BACKTRACE"] = "enable=no"
        var args = ["drover", "work", "--prefix", connection.resolvedPrefix, "--log-level", "error"] + extra
        if let url = connection.url { args += ["--url", url] }
        return try Spawn(path: binary, arguments: args, environment: environment).run()
    }
}
