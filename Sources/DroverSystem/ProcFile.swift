import Glibc

/// Reads small pseudo-files under `/proc`, whose size `stat` reports as 0, so they are read until
/// end of file rather than by length.
enum ProcFile {
    /// Reads a whole file as text.
    /// - Parameter path: An absolute path, e.g. `/proc/self/status`.
    /// - Returns: The contents, with invalid UTF-8 repaired.
    /// - Throws: `SystemError` from `open(2)` or `read(2)`, naming the path.
    static func read(_ path: String) throws(SystemError) -> String {
        let fd = try systemCall("open \(path)") { open(path, O_RDONLY | O_CLOEXEC) }
        let file = FileDescriptor(owning: fd)
        var bytes: [UInt8] = []
        while case .read = try file.read(into: &bytes, maxCount: 4096) {}
        try? file.close()
        return String(decoding: bytes, as: UTF8.self)
    }
}
