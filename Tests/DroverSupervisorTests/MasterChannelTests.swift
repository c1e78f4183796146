import DroverCore
import DroverSupervisor
import DroverSystem
import Foundation
import Testing

/// The child's side of the channel, over real pipes: every line lands in the child's pipe, and
/// the doorbell rings only for what the master must read at once.
@Suite struct MasterChannelTests {
    struct Pipes {
        let lines: DroverSystem.Pipe
        let doorbell: DroverSystem.Pipe
        let channel: MasterChannel

        init() throws {
            lines = try DroverSystem.Pipe(nonBlockingRead: true, nonBlockingWrite: true)
            doorbell = try DroverSystem.Pipe(nonBlockingRead: true, nonBlockingWrite: true)
            channel = MasterChannel(pipe: lines.writeEnd, doorbell: doorbell.writeEnd)
        }

        /// Bytes waiting in `pipe` now (non-blocking).
        func take(_ pipe: DroverSystem.Pipe) throws -> [UInt8] {
            var bytes: [UInt8] = []
            while case .read = try pipe.readEnd.read(into: &bytes) {}
            return bytes
        }

        func rings() throws -> Int { try take(doorbell).count }
        func text() throws -> String { String(decoding: try take(lines), as: UTF8.self) }
    }

    @Test func firstLineShortLimitsAndByeRingTheRestWaits() throws {
        let p = try Pipes()
        p.channel.send(.beat)
        #expect(try p.rings() == 1)  // the first line: the child is up
        p.channel.send(.started(id: JobID("long"), lease: 30, softMilliseconds: nil, hardMilliseconds: 180_000))
        p.channel.send(.ended(id: JobID("long")))
        p.channel.send(.beat)
        #expect(try p.rings() == 0)
        #expect(try p.text() == "beat\nstart long 30 - 180000\nend long\nbeat\n")
        p.channel.send(.started(id: JobID("short"), lease: 30, softMilliseconds: nil, hardMilliseconds: 100))
        #expect(try p.rings() == 1)
        p.channel.send(.leaving)
        #expect(try p.rings() == 1)
        #expect(try p.text() == "start short 30 - 100\nbye\n")
    }

    /// A pipe holds 64 KiB; lines that need no prompt reading still ring every 16 KiB, so the
    /// master empties the pipe long before a full one would block the child.
    @Test func unannouncedBytesRingBeforeThePipeFills() throws {
        let p = try Pipes()
        p.channel.send(.beat)
        _ = try p.rings()
        let line = ChildMessage.ended(id: JobID(String(repeating: "x", count: 95))).line
        #expect(line.utf8.count == 100)
        var rings = 0
        for _ in 0..<600 {  // 60,000 bytes
            p.channel.send(.ended(id: JobID(String(repeating: "x", count: 95))))
            rings += try p.rings()
            _ = try p.take(p.lines)
        }
        #expect(rings == 3)  // at each 164th line of 100 bytes: 16,400 bytes unannounced
    }

    /// A full pipe (4 KiB here, as for a user past `fs.pipe-user-pages-soft`) rings before the
    /// child waits for room, so the child is not left blocked until the master's next pass.
    @Test func aFullPipeRingsBeforeWaiting() throws {
        let p = try Pipes()
        #expect(fcntl(p.lines.writeEnd.rawValue, 1031 /* F_SETPIPE_SZ */, 4096) == 4096)
        p.channel.send(.beat)
        _ = try p.rings()
        while try p.lines.writeEnd.write([0x2e]) != nil {}  // byte by byte: not a byte of room left
        let sent = DispatchSemaphore(value: 0)
        let channel = p.channel
        Thread.detachNewThread {
            channel.send(.ended(id: JobID("j")))  // rings, then waits for room
            sent.signal()
        }
        var poller = Poller()
        poller.add(p.doorbell.readEnd)
        #expect(try !poller.poll(timeoutMilliseconds: 10_000).isEmpty)
        #expect(try p.rings() == 1)
        var text = try p.text()
        #expect(sent.wait(timeout: .now() + 10) == .success)
        text += try p.text()
        #expect(text.hasSuffix("end j\n"))
    }

    @Test func withoutADoorbellLinesStillArrive() throws {
        let lines = try DroverSystem.Pipe(nonBlockingRead: true)
        MasterChannel(pipe: lines.writeEnd, doorbell: nil).send(.beat)
        var bytes: [UInt8] = []
        _ = try lines.readEnd.read(into: &bytes)
        #expect(bytes == Array("beat\n".utf8))
    }
}
