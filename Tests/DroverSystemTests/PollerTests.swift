import DroverSystem
import Testing

extension SystemTests {
    @Suite struct PollerTests {
        @Test func pollWithNothingReadyReturnsEmptyAfterTheTimeout() throws {
            let pipe = try Pipe()
            var poller = Poller()
            poller.add(pipe.readEnd)
            let start = MonotonicClock.now()
            let ready = try poller.poll(timeoutMilliseconds: 50)
            let elapsed = start.duration(to: MonotonicClock.now())
            #expect(ready.isEmpty)
            #expect(elapsed >= .milliseconds(50))
        }

        @Test func pipeWithDataIsReportedReadable() throws {
            let pipe = try Pipe()
            var poller = Poller()
            poller.add(pipe.readEnd)
            try pipe.writeEnd.writeAll("x")
            let ready = try poller.poll(timeoutMilliseconds: 10_000)
            #expect(ready.map(\.descriptor) == [pipe.readEnd.rawValue])
            #expect(ready.first?.isReadable == true)
            #expect(ready.first?.isHungUp == false)
        }

        @Test func pipeWhoseWriterClosedIsReportedHungUp() throws {
            let pipe = try Pipe()
            var poller = Poller()
            poller.add(pipe.readEnd)
            try pipe.writeEnd.close()
            let ready = try poller.poll(timeoutMilliseconds: 10_000)
            #expect(ready.first?.isHungUp == true)
        }

        @Test func onlyTheDescriptorsWithEventsAreReturned() throws {
            let quiet = try Pipe()
            let busy = try Pipe()
            var poller = Poller()
            poller.add(quiet.readEnd)
            poller.add(busy.readEnd)
            poller.add(busy.writeEnd, events: .writable)
            try busy.writeEnd.writeAll("x")
            let ready = try poller.poll(timeoutMilliseconds: 10_000)
            #expect(ready.map(\.descriptor) == [busy.readEnd.rawValue, busy.writeEnd.rawValue])
            #expect(ready.last?.events.contains(.writable) == true)
        }

        @Test func pastDeadlineAndClosedDescriptorsDoNotBlock() throws {
            let pipe = try Pipe()
            try pipe.readEnd.close()
            var poller = Poller()
            poller.add(pipe.readEnd)  // -1 now: poll(2) skips it
            let past = MonotonicClock.now().advanced(by: .seconds(-1))
            #expect(try poller.poll(until: past).isEmpty)
        }
    }
}
