import DroverSystem

extension Supervisor {
    /// How often the master looks at its own file-backed resident set.
    static let memoryCheckInterval: Duration = .seconds(10)
    /// File pages faulted in since the loop settled after the last release that make the next
    /// release worth its cost (a walk of the mappings and pagemap).
    static let releaseAfterGrowthBytes = 1 << 20

    /// After each READY=1: drops the code and read-only data that only starting (or reloading)
    /// ran, such as argument parsing, YAML and Foundation's set-up, from the master's resident set
    /// (``CleanFilePages`` says why this is safe and what it costs). The loop faults back the
    /// little it runs, so the master stays near its working set instead of its start-up peak.
    func releaseAfterReady() {
        releaseCleanPages()
        pageRelease = .settling
    }

    /// Every ``memoryCheckInterval`` while running, after READY's release: releases once more
    /// when the loop's first passes have run (what they ran once, the lazy binding of its calls
    /// and the first publish), then watches. It gives back again what rare
    /// events ran once (a crash and its recovery, a time-limit kill, a log line's formatting)
    /// when they have grown the file-backed resident set ``releaseAfterGrowthBytes`` over its
    /// settled size. Only file pages are measured: heap growth is not something a release can
    /// undo, so it must not trigger one release after another.
    func releaseGrownPages() {
        let now = MonotonicClock.now()
        guard options.releaseCleanPages, readySent, phase == .running, now >= nextMemoryCheck else { return }
        nextMemoryCheck = now.advanced(by: Self.memoryCheckInterval)
        guard let fileBytes = try? ProcessStats.residentFileBytes() else { return }
        switch pageRelease {
        case .settling:
            releaseCleanPages()
            pageRelease = .measuring
        case .measuring:
            pageRelease = .watching(settled: fileBytes)
        case let .watching(settled):
            if fileBytes > settled + Self.releaseAfterGrowthBytes {
                releaseCleanPages()
                pageRelease = .measuring
            }
        }
    }

    /// One release (``CleanFilePages/release(include:)``), logged at debug level.
    private func releaseCleanPages() {
        nextMemoryCheck = MonotonicClock.now().advanced(by: Self.memoryCheckInterval)
        guard options.releaseCleanPages else { return }
        // `CleanFilePages` must not race another thread's mmap; the master never has one, but
        // an app embedding the supervisor might.
        guard (try? ProcessStats.threadCount()) == 1 else { return }
        let before = logger.logLevel <= .debug ? (try? ProcessStats.residentMemoryBytes()) ?? 0 : 0
        do {
            let release = try CleanFilePages.release()
            if logger.logLevel <= .debug {
                let after = (try? ProcessStats.residentMemoryBytes()) ?? 0
                logger.debug("gave back \(release.droppedPages) clean page(s) of \(release.mappings) mapping(s): RSS \(before >> 10) KiB → \(after >> 10) KiB")
            }
        } catch {
            logger.debug("could not give back clean pages: \(error)")
        }
    }
}

/// Where the master is in giving back clean pages (``Supervisor/releaseGrownPages()``).
enum PageReleaseState: Equatable {
    /// Released at READY; release once more after the loop's first passes.
    case settling
    /// Just released; the next check reads the settled size.
    case measuring
    /// Release again when the file-backed resident set passes `settled` by the growth allowance.
    case watching(settled: Int)
}
