import Synchronization

/// A Lua script run by `EVALSHA`. It is loaded with `SCRIPT LOAD` the first time a client needs
/// it, and loaded again when Redis answers `NOSCRIPT` (a restarted or flushed server has lost
/// its script cache), so callers never see that error.
public final class RedisScript: Sendable {
    /// The Lua source.
    public let source: String
    /// A short name for errors and logs.
    public let name: String
    private let cachedSHA = Mutex<String?>(nil)

    /// Creates a script.
    public init(name: String, source: String) {
        self.name = name
        self.source = source
    }

    /// The SHA1 Redis gave for the source, once loaded.
    public var sha: String? { cachedSHA.withLock { $0 } }

    func remember(sha: String) { cachedSHA.withLock { $0 = sha } }
    func forget() { cachedSHA.withLock { $0 = nil } }
}
