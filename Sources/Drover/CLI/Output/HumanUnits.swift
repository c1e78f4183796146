/// Short human forms of durations and sizes for 80-column tables: "42s", "5m", "3h", "2d";
/// "512K", "42M", "1.5G".
enum HumanUnits {
    /// A duration in milliseconds, in its largest whole unit (seconds to days).
    static func duration(milliseconds: Int64) -> String {
        let seconds = max(0, milliseconds / 1000)
        if seconds < 60 { return "\(seconds)s" }
        if seconds < 3600 { return "\(seconds / 60)m" }
        if seconds < 86400 { return "\(seconds / 3600)h" }
        return "\(seconds / 86400)d"
    }

    /// A duration (see `duration(milliseconds:)`).
    static func duration(_ duration: Duration) -> String {
        let parts = duration.components
        return self.duration(milliseconds: parts.seconds * 1000 + parts.attoseconds / 1_000_000_000_000_000)
    }

    /// A byte count in binary units, as `ps` and `top` show memory.
    static func bytes(_ bytes: Int) -> String {
        let units = ["B", "K", "M", "G", "T"]
        var value = Double(max(0, bytes))
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        if unit == 0 || value >= 10 { return "\(Int(value.rounded()))\(units[unit])" }
        return "\((value * 10).rounded() / 10)\(units[unit])"
    }

    /// Jobs per second with one decimal below 100.
    static func rate(_ perSecond: Double) -> String {
        guard perSecond.isFinite, perSecond < 1e15 else { return "-" }
        return perSecond >= 100 ? "\(Int(perSecond.rounded()))" : "\((perSecond * 10).rounded() / 10)"
    }
}
