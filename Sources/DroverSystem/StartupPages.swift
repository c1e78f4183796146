import Glibc

/// Gives back the read-only file pages a long-lived process touched only while starting.
///
/// Most of the master's resident set after start-up is code: argument parsing, YAML, Foundation's
/// set-up, each page faulted in (with 64 KiB of fault-around) once and never run again. Those
/// pages are clean copies of files in the page cache, which the children map too, so they cost
/// the machine nothing more — but they count in the master's RSS, and an admin sizing a host
/// reads RSS. Android compacts idle apps the same way (`process_madvise(MADV_PAGEOUT)`).
///
/// `madvise(MADV_DONTNEED)` unmaps them from this process only; the loop faults back, from the
/// page cache, the few it runs. It is done only where dropping cannot lose a byte:
/// - private file mappings that are not writable, so nothing can write a page between the check
///   and the drop;
/// - page by page from `/proc/self/pagemap`: a page that is anonymous (a relocated, copied-on-write
///   page of RELRO data, or a debugger's breakpoint) or swapped is kept, since dropping it would
///   revert it to the file's bytes.
/// What is dropped refaults with the same bytes, exactly as after the kernel's own reclaim.
public enum StartupPages {
    /// What one release did.
    public struct Release: Equatable, Sendable {
        /// Mappings looked at (private, read-only, file-backed).
        public var mappings = 0
        /// Pages that were resident and were dropped.
        public var droppedPages = 0
        /// Resident anonymous or swapped pages kept in those mappings.
        public var keptPages = 0
    }

    /// Drops every clean page of the calling process's read-only private file mappings.
    ///
    /// Meant for a quiet point of a long-lived process (the master after READY); safe from any
    /// thread, since nothing can write a read-only mapping. It reads `/proc/self/maps` and
    /// `/proc/self/pagemap` (flags only, which need no privilege).
    /// - Returns: What was dropped and kept.
    /// - Throws: `SystemError` when `/proc` cannot be read; nothing is dropped then.
    @discardableResult
    public static func releaseClean() throws(SystemError) -> Release {
        let maps = try ProcFile.read("/proc/self/maps")
        let fd = try systemCall("open /proc/self/pagemap") { open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC) }
        let pagemap = FileDescriptor(owning: fd)
        defer { try? pagemap.close() }
        let pageSize = ProcessStats.pageSize
        var release = Release()
        for line in maps.split(separator: "\n") {
            guard let mapping = Mapping(line), mapping.isReadOnlyPrivateFile else { continue }
            release.mappings += 1
            let entries = try pageEntries(of: mapping, pagemap: pagemap, pageSize: pageSize)
            // Runs of pages that may go: resident file pages and pages not resident at all
            // (a no-op to drop). A run ends at a page that must stay.
            var runStart: Int?
            var runResident = 0
            func dropRun(endingBefore page: Int) {
                if let start = runStart, runResident > 0 {
                    let address = UnsafeMutableRawPointer(bitPattern: mapping.start + start * pageSize)
                    if madvise(address, (page - start) * pageSize, MADV_DONTNEED) == 0 {
                        release.droppedPages += runResident
                    }
                }
                runStart = nil
                runResident = 0
            }
            for (page, entry) in entries.enumerated() {
                switch PageEntry(entry) {
                case .mustStay:
                    release.keptPages += 1
                    dropRun(endingBefore: page)
                case let .mayDrop(resident):
                    if runStart == nil { runStart = page }
                    if resident { runResident += 1 }
                }
            }
            dropRun(endingBefore: entries.count)
        }
        return release
    }

    /// The pagemap entries (proc(5): 64 bits per page) of a mapping.
    private static func pageEntries(of mapping: Mapping, pagemap: FileDescriptor, pageSize: Int) throws(SystemError) -> [UInt64] {
        let count = (mapping.end - mapping.start) / pageSize
        var entries = [UInt64](repeating: 0, count: count)
        let offset = off_t(mapping.start / pageSize * 8)
        let byteCount = count * 8
        var done = 0
        while done < byteCount {
            // `withUnsafeMutableBytes` rethrows untyped errors: carry the typed one out.
            let result = entries.withUnsafeMutableBytes { buffer in
                Result { () throws(SystemError) in
                    try systemCall("pread /proc/self/pagemap") {
                        pread(pagemap.rawValue, buffer.baseAddress! + done, byteCount - done, offset + off_t(done))
                    }
                }
            }
            let read = try result.get()
            guard read > 0 else { throw SystemError(code: .ioError, syscall: "pread /proc/self/pagemap") }
            done += read
        }
        return entries
    }

    /// One line of `/proc/self/maps`: `start-end perms offset dev inode path`.
    struct Mapping {
        var start: Int
        var end: Int
        var permissions: Substring
        var path: Substring

        init?(_ line: Substring) {
            let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
            guard fields.count == 6 else { return nil }
            let bounds = fields[0].split(separator: "-")
            guard bounds.count == 2, let start = Int(bounds[0], radix: 16), let end = Int(bounds[1], radix: 16) else { return nil }
            self.start = start
            self.end = end
            permissions = fields[1]
            path = fields[5].drop { $0 == " " }
        }

        /// `r-xp` or `r--p` over a file (not `[vdso]`, `[heap]`, shared memory or a writable
        /// mapping, whose clean pages another write could dirty at any moment).
        var isReadOnlyPrivateFile: Bool {
            permissions.count == 4 && permissions.first == "r" && permissions.dropFirst().first == "-"
                && permissions.last == "p" && path.hasPrefix("/") && end > start
        }
    }

    /// What a pagemap entry says about dropping its page.
    enum PageEntry: Equatable {
        /// Anonymous (copied on write) or swapped: its bytes exist nowhere else.
        case mustStay
        /// A file page, or nothing resident; `resident` counts it as given back.
        case mayDrop(resident: Bool)

        /// Bits 63 (present), 62 (swapped) and 61 (file page or shared anonymous) of proc(5).
        init(_ entry: UInt64) {
            let present = entry & (1 << 63) != 0
            let swapped = entry & (1 << 62) != 0
            let filePage = entry & (1 << 61) != 0
            if swapped || (present && !filePage) {
                self = .mustStay
            } else {
                self = .mayDrop(resident: present)
            }
        }
    }
}
