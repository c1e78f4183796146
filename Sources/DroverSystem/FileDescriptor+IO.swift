import Glibc

extension FileDescriptor {
    /// What one `read(2)` produced.
    public enum ReadResult: Hashable, Sendable {
        /// This many bytes were appended to the buffer (at least 1).
        case read(Int)
        /// The descriptor is non-blocking and nothing is available now.
        case wouldBlock
        /// The other end is closed and everything has been read.
        case endOfFile
    }

    /// Reads once, appending what arrives to `buffer`.
    /// - Parameters:
    ///   - buffer: Where the bytes are appended; a line-framed reader keeps its partial line here.
    ///   - maxCount: The most bytes to read in this call.
    /// - Returns: How many bytes were appended, or why none were.
    /// - Throws: `SystemError` from `read(2)` (retried on `EINTR`).
    public func read(into buffer: inout [UInt8], maxCount: Int = 4096) throws(SystemError) -> ReadResult {
        precondition(maxCount > 0, "read(maxCount: \(maxCount))")
        let fd = rawValue
        let count: Int
        do throws(SystemError) {
            count = try systemCall("read") {
                withUnsafeTemporaryAllocation(byteCount: maxCount, alignment: 1) { scratch in
                    let count = Glibc.read(fd, scratch.baseAddress, maxCount)
                    // Only on success, so errno is untouched for systemCall to read.
                    if count > 0 { buffer.append(contentsOf: scratch[0..<count]) }
                    return count
                }
            }
        } catch where error.code == .wouldBlock {
            return .wouldBlock
        }
        return count == 0 ? .endOfFile : .read(count)
    }

    /// Writes once, as much as the descriptor takes now.
    /// - Parameter bytes: The bytes to write.
    /// - Returns: How many bytes were written, or `nil` when a non-blocking descriptor is full.
    /// - Throws: `SystemError` from `write(2)`, e.g. ``SystemError/Code/brokenPipe`` (only when
    ///   `SIGPIPE` is ignored; otherwise that signal ends the process first).
    public func write(_ bytes: [UInt8]) throws(SystemError) -> Int? {
        try write(bytes, from: 0)
    }

    private func write(_ bytes: [UInt8], from offset: Int) throws(SystemError) -> Int? {
        let fd = rawValue
        do throws(SystemError) {
            return try systemCall("write") {
                bytes.withUnsafeBytes { all in
                    let rest = UnsafeRawBufferPointer(rebasing: all[offset...])
                    return Glibc.write(fd, rest.baseAddress, rest.count)
                }
            }
        } catch where error.code == .wouldBlock {
            return nil
        }
    }

    /// Writes every byte, waiting for room when the descriptor is non-blocking.
    ///
    /// The wait has no time limit, so the master must not use this towards a child that may have
    /// stopped reading; a child writing to the master is the intended use.
    /// - Parameter bytes: The bytes to write.
    /// - Throws: `SystemError` from `write(2)` or `poll(2)`.
    public func writeAll(_ bytes: [UInt8]) throws(SystemError) {
        var offset = 0
        while offset < bytes.count {
            if let written = try write(bytes, from: offset) {
                offset += written
            } else {
                var poller = Poller()
                poller.add(self, events: .writable)
                _ = try poller.poll(timeoutMilliseconds: nil)
            }
        }
    }

    /// Writes a string's UTF-8 bytes, waiting for room when the descriptor is non-blocking.
    /// - Parameter string: The text, e.g. one line of the child-to-master protocol.
    /// - Throws: `SystemError` from `write(2)` or `poll(2)`.
    public func writeAll(_ string: String) throws(SystemError) {
        try writeAll(Array(string.utf8))
    }
}
