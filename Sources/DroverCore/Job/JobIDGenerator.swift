/// The random source for job ids: xoshiro256** seeded once from the system's generator.
///
/// `SystemRandomNumberGenerator` makes a `getrandom` system call per 64 bits; at the hundreds of
/// thousands of ids a second that batched enqueue mints, that was a fifth of the producer's time.
/// Ids need to be unique, not secret (access is guarded by the API token, not by ids).
public struct JobIDGenerator: RandomNumberGenerator, Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    /// Seeds from the system generator.
    public init() {
        var system = SystemRandomNumberGenerator()
        state = (system.next(), system.next(), system.next(), system.next())
        if state == (0, 0, 0, 0) { state.0 = 0x9E37_79B9_7F4A_7C15 }
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = rotate(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotate(state.3, 45)
        return result
    }

    private func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}
