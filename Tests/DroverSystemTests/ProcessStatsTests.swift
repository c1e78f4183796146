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
