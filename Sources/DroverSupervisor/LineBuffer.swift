/// Splits bytes read from a child's pipe into lines: a read may end mid-line, and one read may
/// hold several lines.
public struct LineBuffer: Sendable {
    private var pending: [UInt8] = []
    /// Longer lines are a broken child, not a protocol: drop them rather than grow without bound.
    public static let maximumLineLength = 4096

    /// An empty buffer.
    public init() {}

    /// Appends bytes and returns every complete line, without newlines.
    /// - Parameter bytes: what `read(2)` returned.
    /// - Returns: the lines completed by these bytes, in order.
    public mutating func append(_ bytes: [UInt8]) -> [Substring] {
        pending += bytes
        var lines: [Substring] = []
        var start = 0
        while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
            lines.append(Substring(decoding: pending[start..<newline], as: UTF8.self))
            start = newline + 1
        }
        pending.removeFirst(start)
        if pending.count > Self.maximumLineLength { pending.removeAll() }
        return lines
    }
}
