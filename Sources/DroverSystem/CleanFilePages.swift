import Glibc

/// Gives back the clean, read-only file pages a long-lived process touched once and no longer runs.
///
/// Most of the master's resident set after start-up is code: argument parsing, YAML, Foundation's
/// set-up, each page faulted in (with 64 KiB of fault-around) once and never run again. Those
/// pages are clean copies of files in the page cache, which the children map too, so they cost
/// the host nothing more, but they count in the master's RSS, and an admin sizing a host reads
/// RSS. Trimming an idle process's working set is an old practice (Windows'
/// `EmptyWorkingSet`, Android's compaction of cached apps).
///
/// `madvise(MADV_DONTNEED)` unmaps them from this process only; the loop faults back, from the
/// page cache, the few it runs. It is done only where dropping cannot lose a byte:
/// - private file mappings that are not writable, so the process cannot write a page between the
///   check and the drop;
/// - only pages `/proc/self/pagemap` positively reports resident and file-backed. A page that is
///   anonymous (a relocated, copied-on-write page of RELRO data, or a debugger's breakpoint) or
///   swapped is kept, since dropping it would revert it to the file's bytes; a page reported not
///   resident is left too, so a kernel or sandbox whose pagemap says nothing drops nothing.
/// What is dropped refaults with the same bytes, exactly as after the kernel's own reclaim. The
/// price: dropped pages are unmapped page cache, the first thing reclaim takes, so under memory
/// pressure a rarely run path (a kill, a recovery) may fault from disk the next time.
public enum CleanFilePages {
    /// What one release did.
    public struct Release: Equatable, Sendable {
        /// Mappings looked at (private, read-only, file-backed).
        public var mappings = 0
        /// Resident file pages dropped.
        public var droppedPages = 0
        /// Resident anonymous or swapped pages kept in those mappings.
        public var keptPages = 0
    }

    /// Pagemap entries read per `pread`.
    private static let entriesPerRead = 512

    /// Drops the resident file pages of the calling process's read-only private file mappings.
    ///
    /// Precondition: no other thread maps, unmaps or `mprotect`s memory meanwhile (no `dlopen`,
    /// no large `malloc`/`free`): `madvise` acts on whatever is mapped at an address when it runs,
    /// not on what `/proc/self/maps` said a moment before. The master calls it only while it is
    /// its process's single thread. It reads `/proc/self/maps` and `/proc/self/pagemap` (flags
    /// only, which need no privilege).
    /// - Parameter include: Which mappings, by path (all of them by default; tests name their own).
    /// - Returns: What was dropped and kept.
    /// - Throws: `SystemError` when `/proc` cannot be read; the mappings before the failure stay
    ///   released.
    @discardableResult
    public static func release(include: (Substring) -> Bool = { _ in true }) throws(SystemError) -> Release {
        let maps = try ProcFile.read("/proc/self/maps")
        let fd = try systemCall("open /proc/self/pagemap") { open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC) }
        let pagemap = FileDescriptor(owning: fd)
        defer { try? pagemap.close() }
        let pageSize = ProcessStats.pageSize
        var entries = [UInt64](repeating: 0, count: entriesPerRead)
        var release = Release()
        for line in maps.split(separator: "\n") {
            guard let mapping = Mapping(line), mapping.isReadOnlyPrivateFile, include(mapping.path) else { continue }
            release.mappings += 1
            let pages = (mapping.end - mapping.start) / pageSize
            // A run of resident file pages, dropped in one call when it ends.
            var runStart: Int?
            func dropRun(endingBefore page: Int) {
                guard let start = runStart else { return }
                runStart = nil
                let address = UnsafeMutableRawPointer(bitPattern: mapping.start + start * pageSize)
                // EINVAL (a locked or special mapping) leaves the pages where they are.
                if madvise(address, (page - start) * pageSize, MADV_DONTNEED) == 0 {
                    release.droppedPages += page - start
                }
            }
            var first = 0
            while first < pages {
                let count = min(entriesPerRead, pages - first)
                try read(&entries, count: count, atPage: mapping.start / pageSize + first, from: pagemap)
                for index in 0..<count {
                    switch PageEntry(entries[index]) {
                    case .residentFile:
                        if runStart == nil { runStart = first + index }
                    case .mustStay:
                        release.keptPages += 1
                        dropRun(endingBefore: first + index)
                    case .notResident:
                        dropRun(endingBefore: first + index)
                    }
                }
                first += count
            }
            dropRun(endingBefore: pages)
        }
        return release
    }

    /// Reads `count` pagemap entries (proc(5): 64 bits per page) from virtual page `page` on.
    private static func read(_ entries: inout [UInt64], count: Int, atPage page: Int, from pagemap: FileDescriptor) throws(SystemError) {
        let byteCount = count * 8
        let offset = off_t(page) * 8
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

        /// `r-xp` or `r--p` over a file: not `[vdso]` or `[heap]`, not shared memory, not a
        /// device (a driver's mapping may not refault), not writable (its clean pages could be
        /// dirtied at any moment).
        var isReadOnlyPrivateFile: Bool {
            permissions.count == 4 && permissions.first == "r" && permissions.dropFirst().first == "-"
                && permissions.last == "p" && path.hasPrefix("/") && !path.hasPrefix("/dev/") && end > start
        }
    }

    /// What a pagemap entry says about dropping its page.
    enum PageEntry: Equatable {
        /// Resident and a file page: its bytes are the file's.
        case residentFile
        /// Anonymous (copied on write) or swapped: its bytes exist nowhere else.
        case mustStay
        /// Nothing resident (or a pagemap that reports nothing): nothing to drop.
        case notResident

        /// Bits 63 (present), 62 (swapped) and 61 (file page or shared anonymous) of proc(5).
        init(_ entry: UInt64) {
            let present = entry & (1 << 63) != 0
            let swapped = entry & (1 << 62) != 0
            let filePage = entry & (1 << 61) != 0
            if swapped || (present && !filePage) {
                self = .mustStay
            } else if present {
                self = .residentFile
            } else {
                self = .notResident
            }
        }
    }
}
