import Glibc

/// Figures read from `/proc` (proc(5)): a child's memory for `max_memory_mb`, and the master's
/// thread count, which must be 1 whenever it forks.
public enum ProcessStats {
    /// The size of a memory page, for converting `/proc/PID/statm`.
    ///
    /// Computed, not a `static let`: lazy globals initialise under a lock (`swift_once`), which a
    /// forked child must not depend on if another thread held it at the fork.
    public static var pageSize: Int { Int(sysconf(Int32(_SC_PAGESIZE))) }

    /// The resident set size (RSS) of a process: the memory it holds in RAM.
    ///
    /// Read from `/proc/PID/statm`, whose second field is resident pages: one small read, cheaper
    /// than parsing `/proc/PID/status`, so the master can check every child after every job.
    /// - Parameter pid: The process.
    /// - Returns: Resident bytes.
    /// - Throws: `SystemError`, ``SystemError/Code/noSuchFile`` when the process is gone.
    public static func residentMemoryBytes(of pid: ProcessID) throws(SystemError) -> Int {
        let path = "/proc/\(pid)/statm"
        let text = try ProcFile.read(path)
        let fields = text.split(separator: " ")
        guard fields.count >= 2, let pages = Int(fields[1]) else {
            throw SystemError(code: .ioError, syscall: "parse \(path)")
        }
        return pages * pageSize
    }

    /// The file-backed part of the calling process's resident set (the third field of
    /// `/proc/self/statm`, RssFile plus RssShmem: code, read-only data, other mapped file pages
    /// and shared memory), which a ``CleanFilePages`` release can partly give back, unlike the heap.
    /// - Returns: Resident file-backed bytes.
    /// - Throws: `SystemError` when `/proc` is not mounted.
    public static func residentFileBytes() throws(SystemError) -> Int {
        let path = "/proc/self/statm"
        let fields = try ProcFile.read(path).split(separator: " ")
        guard fields.count >= 3, let pages = Int(fields[2]) else {
            throw SystemError(code: .ioError, syscall: "parse \(path)")
        }
        return pages * pageSize
    }

    /// The resident set size of the calling process.
    /// - Returns: Resident bytes.
    /// - Throws: `SystemError` when `/proc` is not mounted.
    public static func residentMemoryBytes() throws(SystemError) -> Int {
        try residentMemoryBytes(of: Posix.getpid())
    }

    /// The number of threads of the calling process, from the `Threads:` line of
    /// `/proc/self/status`. The master asserts 1 before every fork in debug builds: a forked copy
    /// of a multi-threaded process inherits locks that no thread will ever release.
    /// - Returns: The thread count.
    /// - Throws: `SystemError` when `/proc` is not mounted or the line is missing.
    public static func threadCount() throws(SystemError) -> Int {
        let path = "/proc/self/status"
        for line in try ProcFile.read(path).split(separator: "\n") where line.hasPrefix("Threads:") {
            if let count = Int(line.dropFirst("Threads:".count).trimmingPrefix(while: \.isWhitespace)) {
                return count
            }
        }
        throw SystemError(code: .ioError, syscall: "parse \(path)")
    }

    /// The CPU time a process has used, user plus system (fields 14 and 15 of `/proc/PID/stat`),
    /// for the benchmark's idle-master figure.
    /// - Parameter pid: The process.
    /// - Returns: Seconds of CPU.
    /// - Throws: `SystemError` when the process is gone.
    public static func cpuSeconds(of pid: ProcessID) throws(SystemError) -> Double {
        let path = "/proc/\(pid)/stat"
        let text = try ProcFile.read(path)
        // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
        guard let close = text.lastIndex(of: ")") else { throw SystemError(code: .ioError, syscall: "parse \(path)") }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After ")" come field 3 (state) onwards: utime is field 14, stime field 15.
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else {
            throw SystemError(code: .ioError, syscall: "parse \(path)")
        }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// The children of a process (`/proc/PID/task/PID/children`; its main thread's children,
    /// which for the single-threaded master are all of them).
    /// - Parameter pid: The process.
    /// - Returns: Their ids; empty when it has none or is gone.
    public static func children(of pid: ProcessID) -> [ProcessID] {
        guard let text = try? ProcFile.read("/proc/\(pid)/task/\(pid)/children") else { return [] }
        return text.split(separator: " ").compactMap { Int32($0.trimmingPrefix(while: \.isWhitespace)) }.map(ProcessID.init(rawValue:))
    }
}
