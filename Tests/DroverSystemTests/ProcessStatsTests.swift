import DroverSystem
import Testing

extension SystemTests {
    @Suite struct ProcessStatsTests {
        @Test func residentMemoryOfSelfIsPositiveWholePages() throws {
            let bytes = try ProcessStats.residentMemoryBytes()
            #expect(bytes > 0)
            #expect(bytes % ProcessStats.pageSize == 0)
            #expect(try ProcessStats.residentMemoryBytes(of: Posix.getpid()) > 0)
        }

        @Test func residentFileBytesArePartOfTheResidentSet() throws {
            let file = try ProcessStats.residentFileBytes()
            #expect(file > 0, "this test's own code is a resident file page")
            #expect(file % ProcessStats.pageSize == 0)
            // Read a moment apart in a process whose other threads may fault pages in meanwhile.
            #expect(file <= (try ProcessStats.residentMemoryBytes()) + (4 << 20))
        }

        @Test func residentMemoryOfAReapedChildThrowsNoSuchFile() throws {
            let child = try ForkedChild.spawn { 0 }
            #expect(try child.waitForExit() == .exited(0))
            let error = #expect(throws: SystemError.self) { try ProcessStats.residentMemoryBytes(of: child.pid) }
            #expect(error?.code == .noSuchFile)
        }

        @Test func forkedChildHasOneThreadWhateverTheParentHas() throws {
            #expect(try ProcessStats.threadCount() >= 1)
            let child = try ForkedChild.spawn { Int32((try? ProcessStats.threadCount()) ?? 0) }
            #expect(try child.waitForExit() == .exited(1))
        }
    }
}
