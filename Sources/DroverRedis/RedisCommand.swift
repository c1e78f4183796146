/// One Redis command as binary-safe arguments, packed into a single buffer.
///
/// Arguments are appended into one contiguous byte array with their lengths, so sending a
/// command with hundreds of arguments (a batch of jobs) costs one allocation, and hiredis gets
/// the `argv`/`argvlen` pair it wants without a per-argument copy.
public struct RedisCommand: Sendable {
    var buffer: [UInt8] = []
    var lengths: [Int] = []

    /// Creates a command from its name and string arguments: `RedisCommand("GET", key)`.
    public init(_ words: String...) {
        for word in words { append(word) }
    }

    /// Creates a command from a list of words.
    public init(words: [String]) {
        for word in words { append(word) }
    }

    /// Reserves room for `bytes` bytes in `arguments` arguments.
    public mutating func reserve(bytes: Int, arguments: Int) {
        buffer.reserveCapacity(bytes)
        lengths.reserveCapacity(arguments)
    }

    /// Appends a UTF-8 string argument.
    public mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { buffer.append(contentsOf: $0) ; lengths.append($0.count) }
    }

    /// Appends a binary argument.
    public mutating func append(bytes: some Collection<UInt8>) {
        buffer.append(contentsOf: bytes)
        lengths.append(bytes.count)
    }

    /// Appends an integer argument in decimal.
    public mutating func append(_ value: Int) {
        append(String(value))
    }

    /// The number of arguments, the command name included.
    public var count: Int { lengths.count }

    /// The command's name, for error messages (never its arguments, which may hold secrets).
    public var name: String {
        guard let first = lengths.first else { return "" }
        return String(decoding: buffer[0..<first], as: UTF8.self).uppercased()
    }
}
