import DroverCore

/// Handlers the stock `drover` binary ships, for demos, tests and benchmarks.
public enum BuiltinHandlers {
    /// All of them.
    public static var all: [AnyJobHandler] {
        [AnyJobHandler(Noop()), AnyJobHandler(Sleep()), AnyJobHandler(Fail()), AnyJobHandler(Progress()),
         AnyJobHandler(Allocate()), AnyJobHandler(Crash()), AnyJobHandler(Stamp()), AnyJobHandler(Spin())]
    }

    /// `seconds` as a duration, refusing what no sleep can mean (negative, NaN, longer than a
    /// year): a bad argument fails its job for good instead of trapping the worker.
    static func duration(_ seconds: Double) throws -> Duration {
        guard seconds.isFinite, seconds >= 0, seconds <= 365 * 86_400 else {
            throw PermanentFailure("seconds must be a number from 0 to 31536000, not \(seconds)")
        }
        return .milliseconds(Int64(seconds * 1000))
    }

    /// Does nothing: measures Drover's own cost per job.
    public struct Noop: JobHandler {
        public static let name = "builtin.noop"
        public init() {}
        public func run(_ arguments: NoArguments, context: JobContext) async throws -> NoResult { NoResult() }
    }

    /// Sleeps `seconds`, cooperatively (a cancel or soft limit ends it at once).
    public struct Sleep: JobHandler {
        public struct Arguments: Codable, Sendable { public var seconds: Double }
        public static let name = "builtin.sleep"
        public init() {}
        public func run(_ arguments: Arguments, context: JobContext) async throws -> Double {
            try await Task.sleep(for: try BuiltinHandlers.duration(arguments.seconds))
            return arguments.seconds
        }
    }

    /// Burns CPU for `seconds` and ignores cancellation on purpose: a handler stuck in code
    /// that never checks (C code, a tight loop), for testing lease renewal and the cancel grace.
    public struct Spin: JobHandler {
        public struct Arguments: Codable, Sendable { public var seconds: Double }
        public static let name = "builtin.spin"
        public init() {}
        public func run(_ arguments: Arguments, context: JobContext) async throws -> Double {
            let end = ContinuousClock.now + (try BuiltinHandlers.duration(arguments.seconds))
            var turns: UInt64 = 0
            while ContinuousClock.now < end { turns &+= 1 }
            return arguments.seconds
        }
    }

    /// Fails for good with `message` (no retries).
    public struct Fail: JobHandler {
        public struct Arguments: Codable, Sendable { public var message: String? }
        public static let name = "builtin.fail"
        public init() {}
        public func run(_ arguments: Arguments, context: JobContext) async throws -> NoResult {
            throw PermanentFailure(arguments.message ?? "builtin.fail was asked to fail")
        }
    }

    /// Reports progress in `steps` steps over `seconds`.
    public struct Progress: JobHandler {
        public struct Arguments: Codable, Sendable {
            public var steps: Int
            public var seconds: Double
        }
        public static let name = "builtin.progress"
        public init() {}
        public func run(_ arguments: Arguments, context: JobContext) async throws -> Int {
            guard (1...100_000).contains(arguments.steps) else {
                throw PermanentFailure("builtin.progress: steps must be 1 to 100000, not \(arguments.steps)")
            }
            let steps = arguments.steps
            let each = try BuiltinHandlers.duration(arguments.seconds) / steps
            for step in 1...steps {
                try await Task.sleep(for: each)
                try await context.progress(Double(step) * 100 / Double(steps), note: "step \(step) of \(steps)")
            }
            return steps
        }
    }

    /// Allocates and touches `megabytes` of memory and keeps it (to test memory recycling).
    public struct Allocate: JobHandler {
        public struct Arguments: Codable, Sendable { public var megabytes: Int }
        public static let name = "builtin.allocate"
        /// What one job may ask for: a memory-recycling test needs tens of MiB, and a larger
        /// count would overflow the byte count or fail the allocation, killing the worker.
        public static let megabytesRange = 1...65_536
        public init() {}
        public func run(_ arguments: Arguments, context: JobContext) async throws -> Int {
            guard Self.megabytesRange.contains(arguments.megabytes) else {
                throw PermanentFailure("builtin.allocate: megabytes must be 1 to 65536, not \(arguments.megabytes)")
            }
            var block = [UInt8](repeating: 1, count: arguments.megabytes << 20)
            block[block.count / 2] = 2
            Retained.keep(block)
            return arguments.megabytes
        }
    }

    /// Returns the wall-clock time (µs since the epoch) at which it started: the benchmark of
    /// enqueue-to-start latency compares it with the time the producer sent the job.
    public struct Stamp: JobHandler {
        public static let name = "builtin.stamp"
        public init() {}
        public func run(_ arguments: NoArguments, context: JobContext) async throws -> Int64 {
            WallClock.nowMicroseconds()
        }
    }

    /// Kills its own process with `signal` (default KILL): a poison pill for crash tests.
    public struct Crash: JobHandler {
        public struct Arguments: Codable, Sendable { public var signal: Int32? }
        public static let name = "builtin.crash"
        public init() {}
        public func run(_ arguments: Arguments, context: JobContext) async throws -> NoResult {
            ProcessExit.raise(arguments.signal ?? 9)
            return NoResult()
        }
    }
}

import Synchronization
import DroverSystem

private enum Retained {
    static let blocks = Mutex<[[UInt8]]>([])
    static func keep(_ block: [UInt8]) { blocks.withLock { $0.append(block) } }
}

enum ProcessExit {
    static func raise(_ signal: Int32) {
        try? Posix.kill(Posix.getpid(), Signal(rawValue: signal))
    }
}
