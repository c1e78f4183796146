import DroverSystem

extension Supervisor {
    /// How often the master looks at its own file-backed resident set.
    static let memoryCheckInterval: Duration = .seconds(10)
    /// File pages faulted in since the last release that make the next one worth its ~3 ms.
    static let releaseAfterGrowthBytes = 1 << 20

    /// After each READY=1: drops the code and read-only data that only starting (or reloading)
    /// ran — argument parsing, YAML, Foundation's set-up — from the master's resident set
    /// (``StartupPages`` says why this is safe). The idle loop faults back the little it runs, so
    /// the master stays near its working set (the benchmark prints it) instead of its start-up peak.
    func releaseStartupPages() {
        guard options.releaseStartupPages else { return }
        let before = (try? ProcessStats.residentMemoryBytes()) ?? 0
        do {
            let release = try StartupPages.releaseClean()
            let after = (try? ProcessStats.residentMemoryBytes()) ?? 0
            fileBytesAfterRelease = (try? ProcessStats.residentFileBytes()) ?? 0
            logger.debug("gave back \(release.droppedPages) clean page(s) of \(release.mappings) mapping(s): RSS \(before >> 10) KiB → \(after >> 10) KiB")
        } catch {
            logger.debug("could not give back clean pages: \(error)")
        }
    }

    /// Every ``memoryCheckInterval`` while running: gives back again the code that rare events
    /// ran once (a crash and its recovery, a time-limit kill, a log line's formatting), when it
    /// has grown the file-backed resident set by ``releaseAfterGrowthBytes`` since the last
    /// release. Only file pages are measured: heap growth is not something a release can undo,
    /// so it must not make the master release over and over for nothing.
    func releaseGrownPages() {
        let now = MonotonicClock.now()
        guard options.releaseStartupPages, readySent, phase == .running, now >= nextMemoryCheck else { return }
        nextMemoryCheck = now.advanced(by: Self.memoryCheckInterval)
        guard let fileBytes = try? ProcessStats.residentFileBytes(),
              fileBytes > fileBytesAfterRelease + Self.releaseAfterGrowthBytes else { return }
        releaseStartupPages()
    }
}
