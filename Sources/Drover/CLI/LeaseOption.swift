/// The `--lease` option of `drover work` and `drover worker`: how long a run is held before any
/// live Drover may recover it. A worker renews it at least three times per lease.
enum LeaseOption {
    /// Why a lease in seconds is unusable, or nil.
    static func problem(_ seconds: Double) -> String? {
        guard seconds.isFinite, seconds >= 1, seconds <= 86_400 else {
            return "--lease must be a number of seconds from 1 to 86400"
        }
        return nil
    }
}
