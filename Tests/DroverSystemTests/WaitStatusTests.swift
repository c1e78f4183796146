import DroverSystem
import Testing

/// Raw statuses as the kernel encodes them (glibc bits/waitstatus.h): exit status in bits 8–15,
/// terminating signal in bits 0–6 with 0x80 for a core dump, 0x7f in the low byte when stopped.
@Suite struct WaitStatusTests {
    @Test func exitStatusIsDecoded() {
        let status = WaitStatus(decoding: 3 << 8)
        #expect(status == .exited(3))
        #expect(status.exitStatus == 3)
        #expect(status.terminationSignal == nil)
        #expect(!status.isSuccess)
        #expect(status.description == "exited with status 3")
    }

    @Test func exitZeroIsSuccess() {
        #expect(WaitStatus(decoding: 0).isSuccess)
        #expect(WaitStatus(decoding: 255 << 8) == .exited(255))
    }

    @Test func killedBySignalIsDecoded() {
        let status = WaitStatus(decoding: 9)
        #expect(status == .signaled(.kill, coreDumped: false))
        #expect(status.terminationSignal == .kill)
        #expect(status.exitStatus == nil)
        #expect(status.description == "killed by signal KILL")
    }

    @Test func coreDumpIsDecoded() {
        let status = WaitStatus(decoding: 11 | 0x80)
        #expect(status == .signaled(.segv, coreDumped: true))
        #expect(status.description == "killed by signal SEGV (core dumped)")
    }

    @Test func stoppedAndContinuedAreDecoded() {
        #expect(WaitStatus(decoding: 19 << 8 | 0x7f) == .stopped(.stop))
        #expect(WaitStatus(decoding: 19 << 8 | 0x7f).description == "stopped by signal STOP")
        #expect(WaitStatus(decoding: 0xffff) == .continued)
    }
}
