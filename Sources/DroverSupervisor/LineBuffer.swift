/// Splits bytes read from a child's pipe into lines: a read may end mid-line, and one read may
/// hold several lines.
public struct LineBuffer: Sendable {
    private var pending: [UInt8] = []
    /// Longer lines are a broken child, not a protocol: drop them rather than grow without bound.
    public static let maximumLineLength = 4096

    /// An empty buffer.
    public init() {}

    /// Appends bytes and hands over every complete line, without its newline, as bytes: the
    /// master reads two lines per job, so no line becomes a `String` on the way.
    /// - Parameters:
    ///   - bytes: what `read(2)` returned.
    ///   - line: called for each line completed by these bytes, in order.
    public mutating func append(_ bytes: [UInt8], line: (ArraySlice<UInt8>) -> Void) {
        pending += bytes
        var start = 0
        while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
            line(pending[start..<newline])
            start = newline + 1
        }
        pending.removeFirst(start)
        if pending.count > Self.maximumLineLength { pending.removeAll() }
    }
}
