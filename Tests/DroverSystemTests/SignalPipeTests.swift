import DroverSystem
import Testing

extension SystemTests {
    @Suite struct SignalPipeTests {
        @Test func signalsSentToSelfAreDrainedInArrivalOrder() throws {
            let pipe = try SignalPipe(signals: [.usr2, .hup])
            // kill() to self from a thread that does not block the signal delivers it before
            // returning (POSIX kill()), so the two bytes are written in this order.
            try Posix.kill(Posix.getpid(), .usr2)
            try Posix.kill(Posix.getpid(), .hup)
            var received: [Signal] = []
            var poller = Poller()
            poller.add(pipe.readFD)
            while received.count < 2, try !poller.poll(timeoutMilliseconds: 10_000).isEmpty {
                received += try pipe.drain()
            }
            #expect(received == [.usr2, .hup])
            #expect(try pipe.drain() == [])
        }

        @Test func secondSignalPipeInOneProcessIsRefusedUntilTheFirstIsGone() throws {
            var first: SignalPipe? = try SignalPipe(signals: [.usr2])
            let error = #expect(throws: SystemError.self) { try SignalPipe(signals: [.hup]) }
            #expect(error?.code == .busy)
            withExtendedLifetime(first) {}
            first = nil
            _ = try SignalPipe(signals: [.hup])
        }

        @Test func forkedChildTakesTheDefaultActionNotTheMastersHandler() throws {
            let pipe = try SignalPipe(signals: [.usr2])
            let child = try ForkedChild.spawn {
                try? Posix.kill(Posix.getpid(), .usr2)
                return 0
            }
            #expect(try child.waitForExit() == .signaled(.usr2, coreDumped: false))
            // Had the child run the master's handler, its byte would be here by now.
            #expect(try pipe.drain() == [])
        }

        @Test func restoreDefaultsClosesTheChildsCopyOfThePipe() throws {
            let pipe = try SignalPipe(signals: [.usr2])
            let child = try ForkedChild.spawn {
                pipe.restoreDefaults()
                return pipe.readFD.isOpen ? 1 : 0
            }
            #expect(try child.waitForExit() == .exited(0))
            #expect(pipe.readFD.isOpen)
        }
    }
}
