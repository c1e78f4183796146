/// The one error type of DroverRedis: what failed, in words an operator can act on.
///
/// The password is never part of a message: descriptions name the endpoint through
/// `RedisURL.redactedDescription`.
public struct RedisError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is. Extensible: switch with a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        /// The server refused the connection (nothing listens there).
        public static let connectionRefused = Code(name: "connection refused")
        /// Connecting or a command took longer than its timeout.
        public static let timeout = Code(name: "timeout")
        /// The server closed the connection, or the socket failed.
        public static let connectionLost = Code(name: "connection lost")
        /// A recent attempt failed and the reconnect backoff has not elapsed: fail fast.
        public static let unavailable = Code(name: "unavailable")
        /// AUTH was refused (wrong password or user).
        public static let authentication = Code(name: "authentication failed")
        /// A Lua script raised an error or could not be compiled.
        public static let script = Code(name: "script error")
        /// hiredis could not parse what the server sent.
        public static let protocolError = Code(name: "protocol error")
        /// The server answered with an error reply.
        public static let server = Code(name: "server error")
        /// The URL could not be parsed.
        public static let invalidURL = Code(name: "invalid URL")
        /// No sentinel named a usable master.
        public static let noMaster = Code(name: "no master")
        /// `SELECT` refused the URL's database (it is past the server's `databases` setting):
        /// configuration, which no retry fixes.
        public static let database = Code(name: "database refused")
        /// A password file could not be read.
        public static let passwordFile = Code(name: "password file")
        /// The reply did not have the shape the caller expected.
        public static let unexpectedReply = Code(name: "unexpected reply")
        public var description: String { name }
    }

    /// What kind of failure this is.
    public var code: Code
    /// Details: the endpoint, the server's message, the command name.
    public var message: String

    /// Whether the request had been sent (wholly or in part) when the connection failed, so
    /// the server may have run it: a reply lost to a timeout or a dropped connection. False for
    /// a failed connect and for the fail-fast `.unavailable` inside the reconnect backoff, where
    /// nothing was sent.
    public var requestSent = false

    /// Creates an error.
    public init(_ code: Code, _ message: String, requestSent: Bool = false) {
        self.code = code
        self.message = message
        self.requestSent = requestSent
    }

    /// Whether Redis could not be reached at all: the caller may retry later, and a producer
    /// reports "unavailable" rather than a failed operation.
    public var isUnavailable: Bool {
        switch code {
        case .connectionRefused, .timeout, .connectionLost, .unavailable, .noMaster, .protocolError:
            return true
        default:
            return false
        }
    }

    public var description: String { "Redis \(code): \(message)" }
}
