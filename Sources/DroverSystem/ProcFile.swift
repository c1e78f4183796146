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

    /// The names in a directory, without `.` and `..`.
    /// - Throws: `SystemError` from `opendir(3)`.
    static func entries(_ path: String) throws(SystemError) -> [String] {
        guard let dir = opendir(path) else { throw SystemError(code: SystemError.Code(rawValue: errno), syscall: "opendir \(path)") }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}

extension Substring {
    /// Without the spaces and newlines around it.
    var trimmingSpaces: Substring {
        var text = self
        while let first = text.first, first == " " || first == "\n" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\n" { text.removeLast() }
        return text
    }
}
