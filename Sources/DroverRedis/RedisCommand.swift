/// One Redis command, encoded as RESP while it is built.
///
/// Arguments are written straight into one byte buffer in the wire format (`$LEN\r\nBYTES\r\n`),
/// so sending a command with hundreds of arguments (a batch of jobs) costs one buffer and no
/// second formatting pass: hiredis's `redisFormatCommandArgv` spent a noticeable share of batched
/// enqueue's client time re-encoding arguments in a profile. The `*COUNT` header is written when sent,
/// with `redisAppendFormattedCommand`.
public struct RedisCommand: Sendable {
    /// The encoded arguments, without the `*COUNT\r\n` header.
    var body: [UInt8] = []
    /// The number of arguments, the command name included.
    public private(set) var count = 0
    private var nameLength = 0

    /// Creates a command from its name and string arguments: `RedisCommand("GET", key)`.
    public init(_ words: String...) {
        for word in words { append(word) }
    }

    /// Creates a command from a list of words.
    public init(words: [String]) {
        for word in words { append(word) }
    }

    /// Reserves room for about `bytes` bytes in `arguments` arguments.
    public mutating func reserve(bytes: Int, arguments: Int) {
        body.reserveCapacity(bytes + arguments * 8)
    }

    /// Appends a UTF-8 string argument.
    public mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { append(bytes: $0) }
    }

    /// Appends a binary argument.
    public mutating func append(bytes: some Collection<UInt8>) {
        if count == 0 { nameLength = bytes.count }
        appendHeader(bytes.count)
        body.append(contentsOf: bytes)
        body.append(13)
        body.append(10)
        count += 1
    }

    /// Appends one argument made of three pieces (a template around a variable middle), without
    /// building it first.
    public mutating func append(prefix: [UInt8], middle: String, suffix: [UInt8]) {
        var middle = middle
        middle.withUTF8 { bytes in
            if count == 0 { nameLength = prefix.count + bytes.count + suffix.count }
            appendHeader(prefix.count + bytes.count + suffix.count)
            body.append(contentsOf: prefix)
            body.append(contentsOf: bytes)
            body.append(contentsOf: suffix)
            body.append(13)
            body.append(10)
        }
        count += 1
    }

    /// Appends an integer argument in decimal.
    public mutating func append(_ value: Int) {
        var digits: [UInt8] = []
        digits.reserveCapacity(20)
        var magnitude = value.magnitude
        repeat {
            digits.append(UInt8(48 + magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        if value < 0 { digits.append(45) }
        digits.reverse()
        if count == 0 { nameLength = digits.count }
        append(bytes: digits)
    }

    /// Appends every argument of another command (for `EVALSHA sha n keys… args…`).
    public mutating func append(contentsOf other: RedisCommand) {
        body.append(contentsOf: other.body)
        count += other.count
    }

    private mutating func appendHeader(_ length: Int) {
        body.append(36)  // $
        appendDecimal(length)
        body.append(13)
        body.append(10)
    }

    private mutating func appendDecimal(_ value: Int) {
        if value < 10 {
            body.append(UInt8(48 + value))
            return
        }
        var divisor = 1
        while divisor <= value / 10 { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            body.append(UInt8(48 + rest / divisor))
            rest %= divisor
            divisor /= 10
        }
    }

    /// The `*COUNT\r\n` header.
    var header: [UInt8] { Array("*\(count)\r\n".utf8) }

    /// The command's name, for error messages (never its arguments, which may hold secrets).
    public var name: String {
        guard count > 0, let start = body.firstIndex(of: 10) else { return "" }
        let from = start + 1
        return String(decoding: body[from..<min(from + nameLength, body.count)], as: UTF8.self).uppercased()
    }
}
