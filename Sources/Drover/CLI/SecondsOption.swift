/// A command-line option given in seconds (`--lease 30`, `--connect-timeout 0.5`): the one check
/// that such a number is finite and within its option's range before it becomes a `Duration`, so
/// that `nan`, `inf` or `1e300` get a usage error instead of trapping in the conversion.
struct SecondsOption {
    /// The option's flag, for the message (`--lease`).
    var flag: String
    /// The seconds it accepts.
    var range: ClosedRange<Double>

    /// `--lease`: how long a run is held before any live Drover may recover it. A worker renews
    /// it at least three times per lease.
    static let lease = SecondsOption(flag: "--lease", range: 1...86_400)

    /// Why `seconds` is unusable for this option, or nil.
    func problem(_ seconds: Double) -> String? {
        guard seconds.isFinite, range.contains(seconds) else {
            return "\(flag) must be a number of seconds from \(Self.text(range.lowerBound)) to \(Self.text(range.upperBound)), not \(seconds)"
        }
        return nil
    }

    /// `seconds` as a duration, after `problem` found nothing (a usage error otherwise).
    func duration(_ seconds: Double) throws(CLIFailure) -> Duration {
        if let problem = problem(seconds) { throw CLIFailure(status: ExitStatus.usage, message: problem) }
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }

    private static func text(_ value: Double) -> String {
        value == value.rounded() ? String(Int64(value)) : String(value)
    }
}
