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
}
