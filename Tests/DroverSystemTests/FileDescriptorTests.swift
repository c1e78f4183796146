import DroverSystem
import Testing

extension SystemTests {
    @Suite struct FileDescriptorTests {
        @Test func bytesWrittenToAPipeAreReadBack() throws {
            let pipe = try Pipe()
            try pipe.writeEnd.writeAll("hello\n")
            var buffer = Array("> ".utf8)
            #expect(try pipe.readEnd.read(into: &buffer) == .read(6))
            #expect(buffer == Array("> hello\n".utf8))
        }

        @Test func emptyNonBlockingPipeWouldBlock() throws {
            let pipe = try Pipe(nonBlockingRead: true)
            var buffer: [UInt8] = []
            #expect(try pipe.readEnd.read(into: &buffer) == .wouldBlock)
            #expect(buffer.isEmpty)
        }

        @Test func readAfterTheWriterClosedIsEndOfFile() throws {
            let pipe = try Pipe()
            try pipe.writeEnd.writeAll("z")
            try pipe.writeEnd.close()
            var buffer: [UInt8] = []
            #expect(try pipe.readEnd.read(into: &buffer) == .read(1))
            #expect(try pipe.readEnd.read(into: &buffer) == .endOfFile)
        }

        @Test func fullNonBlockingPipeReportsNoRoom() throws {
            let pipe = try Pipe(nonBlockingWrite: true)
            let chunk = [UInt8](repeating: 7, count: 16_384)
            var total = 0
            while let written = try pipe.writeEnd.write(chunk) {
                total += written
                try #require(total <= 16 << 20, "pipe never filled")
            }
            #expect(total >= 4096)  // pipe(7): at least one page, 64 KiB by default
        }

        @Test func closingTwiceIsHarmlessAndReleaseGivesUpOwnership() throws {
            let pipe = try Pipe()
            try pipe.readEnd.close()
            try pipe.readEnd.close()
            #expect(!pipe.readEnd.isOpen)
            #expect(pipe.readEnd.rawValue == -1)
            let raw = pipe.writeEnd.release()
            #expect(raw >= 0)
            #expect(!pipe.writeEnd.isOpen)
            try FileDescriptor(owning: raw).close()
        }

        @Test func writingToAPipeNobodyReadsThrowsBrokenPipeWhenPIPEIsIgnored() throws {
            // In a child, so ignoring PIPE does not change the test process.
            let child = try ForkedChild.spawn {
                guard (try? Posix.ignore(.pipe)) != nil, let pipe = try? Pipe(), (try? pipe.readEnd.close()) != nil else {
                    return 1
                }
                do throws(SystemError) {
                    try pipe.writeEnd.writeAll("lost")
                    return 2
                } catch {
                    return error.code == .brokenPipe ? 0 : 3
                }
            }
            #expect(try child.waitForExit() == .exited(0))
        }
    }
}
