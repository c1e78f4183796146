import DroverCore

/// A time limit in force for one run and where it came from: the job's own, its exec command's,
/// or its pool's default, in that order (the job's own limit wins). Messages name the source so
/// that an operator knows which setting to change.
struct EffectiveLimit: Equatable, CustomStringConvertible {
    /// Where a limit was set.
    enum Source: String {
        case job = "the job's own"
        case handler = "its exec command's"
        case pool = "the pool's default"
    }

    var duration: Duration
    var source: Source

    /// The first limit that is set, in the order given.
    static func first(_ candidates: (Duration?, Source)...) -> EffectiveLimit? {
        for (duration, source) in candidates {
            if let duration { return EffectiveLimit(duration: duration, source: source) }
        }
        return nil
    }

    /// `30s (the pool's default)`.
    var description: String { "\(TimeSpan(clamping: duration.milliseconds)) (\(source.rawValue))" }
}
