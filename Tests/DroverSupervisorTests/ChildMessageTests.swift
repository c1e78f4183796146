import DroverCore
import DroverSystem
import DroverSupervisor
import Testing

@Suite struct ChildMessageTests {
    @Test func startLineCarriesIdLeaseAndBothLimits() {
        let message = ChildMessage.started(id: JobID("01J0ABC"), lease: 3, softMilliseconds: 1500, hardMilliseconds: 2000)
        #expect(message.line == "start 01J0ABC 3 1500 2000\n")
        #expect(ChildMessage(line: message.line.dropLast()) == message)
    }

    @Test func missingLimitsAreDashes() {
        let message = ChildMessage.started(id: JobID("x"), lease: 1, softMilliseconds: nil, hardMilliseconds: 500)
        #expect(message.line == "start x 1 - 500\n")
        #expect(ChildMessage(line: "start x 1 - 500") == message)
    }

    @Test func startLineCarriesTheStartInstant() {
        let at = MonotonicClock.Instant(nanoseconds: 123_456_789_012)
        let message = ChildMessage.started(id: JobID("j"), lease: 30, softMilliseconds: nil, hardMilliseconds: 60_000, at: at)
        #expect(message.line == "start j 30 - 60000 123456789012\n")
        #expect(ChildMessage(line: message.line.dropLast()) == message)
    }

    /// Only what the master must act on within a second wakes it: a start with a limit under
    /// 3 s, and `bye`.
    @Test func promptReadingIsForShortLimitsAndBye() {
        func start(_ soft: Int64?, _ hard: Int64?) -> ChildMessage {
            .started(id: JobID("j"), lease: 30, softMilliseconds: soft, hardMilliseconds: hard)
        }
        #expect(start(nil, 2_999).needsPromptReading)
        #expect(start(500, 180_000).needsPromptReading)
        #expect(!start(nil, nil).needsPromptReading)
        #expect(!start(3_000, 180_000).needsPromptReading)
        #expect(ChildMessage.leaving.needsPromptReading)
        #expect(!ChildMessage.ended(id: JobID("j")).needsPromptReading)
        #expect(!ChildMessage.beat.needsPromptReading)
        #expect(!ChildMessage.fetching(clock: 1).needsPromptReading)
        #expect(!ChildMessage.program(ProcessID(rawValue: 42)).needsPromptReading)
    }

    @Test func endAndBeatRoundTrip() {
        #expect(ChildMessage(line: "end abc") == .ended(id: JobID("abc")))
        #expect(ChildMessage(line: "beat") == .beat)
        #expect(ChildMessage.beat.line == "beat\n")
        #expect(ChildMessage(line: "bye") == .leaving)
        #expect(ChildMessage.leaving.line == "bye\n")
        #expect(ChildMessage(line: "prog 4242") == .program(ProcessID(rawValue: 4242)))
        #expect(ChildMessage.programEnded(ProcessID(rawValue: 4242)).line == "progend 4242\n")
        #expect(ChildMessage(line: "progend 4242") == .programEnded(ProcessID(rawValue: 4242)))
        #expect(ChildMessage.fetching(clock: 1_796_018_107_776).line == "fetch 1796018107776\n")
        #expect(ChildMessage(line: "fetch 1796018107776") == .fetching(clock: 1_796_018_107_776))
    }

    @Test func aStartCarriesTheRetryDelayOfAHardLimitKill() {
        let at = MonotonicClock.Instant(nanoseconds: 123)
        let retried = ChildMessage.started(id: JobID("x"), lease: 1, softMilliseconds: nil, hardMilliseconds: 500, at: at,
                                           retryAfterTimeLimit: 15_000)
        #expect(retried.line == "start x 1 - 500 123 15000\n")
        #expect(ChildMessage(line: retried.line.dropLast()) == retried)
        let spent = ChildMessage.started(id: JobID("x"), lease: 1, softMilliseconds: nil, hardMilliseconds: 500, at: at,
                                         retryAfterTimeLimit: ChildMessage.noRetry)
        #expect(spent.line == "start x 1 - 500 123 -\n")
        #expect(ChildMessage(line: spent.line.dropLast()) == spent)
        #expect(ChildMessage(line: "start x 1 - 500 123 soon") == nil)
        #expect(ChildMessage(line: "start x 1 - 500 123 5 6") == nil)
    }

    @Test func idsWithSpacesAndPercentStayOneField() {
        let message = ChildMessage.ended(id: JobID("a b%c\nd"))
        #expect(message.line == "end a%20b%25c%0Ad\n")
        #expect(ChildMessage(line: message.line.dropLast()) == message)
    }

    @Test func malformedLinesAreRejected() {
        for line in ["", "start", "start x 1 2", "start x one - -", "start x 1 -5 -", "start x 1 - - -5", "start x 1 - - soon", "start x 1 - - 5 6 7", "start x 1 - - 5 x", "end", "end a b", "beat now", "hello", "end %zz",
                     "prog", "prog 1", "prog -3", "prog x", "progend 5 6", "fetch", "fetch -1", "fetch soon", "fetch 1 2"] {
            #expect(ChildMessage(line: Substring(line)) == nil, "\(line)")
        }
    }

    @Test func lineBufferJoinsPartialReadsAndSplitsBatches() {
        var buffer = LineBuffer()
        func lines(_ text: String) -> [String] {
            var out: [String] = []
            buffer.append(Array(text.utf8)) { out.append(String(decoding: $0, as: UTF8.self)) }
            return out
        }
        #expect(lines("be").isEmpty)
        #expect(lines("at\nend x\nsta") == ["beat", "end x"])
        #expect(lines("rt y 1 - -\n") == ["start y 1 - -"])
        #expect(lines("end z\n\nbeat\n") == ["end z", "", "beat"])
    }

    /// Empty fields count, as the child never writes two spaces: such a line is refused.
    @Test func doubledSpacesAndTrailingSpacesAreRefused() {
        for line in ["end  x", "end x ", " end x", "start x  1 - -", "beat "] {
            #expect(ChildMessage(line: Substring(line)) == nil, "\(line)")
        }
        #expect(ChildMessage(line: "start x 9223372036854775808 - -") == nil, "past Int64.max")
        #expect(ChildMessage(line: "start x 1 - 9223372036854775807") == .started(id: JobID("x"), lease: 1, softMilliseconds: nil, hardMilliseconds: .max))
        #expect(ChildMessage(line: "start x 007 - -") == .started(id: JobID("x"), lease: 7, softMilliseconds: nil, hardMilliseconds: nil))
        #expect(ChildMessage(line: "prog 2147483648") == nil, "not a pid")
        for line in ["beatx", "byee", "progx 5", "star x 1 - -", "ends x", "start x +1 - -"] {
            #expect(ChildMessage(line: Substring(line)) == nil, "\(line)")
        }
    }

    /// Escaping works on bytes, as the master splits lines on bytes: a space followed by a
    /// combining mark is one Character but must still become `%20`.
    @Test func idsWithSpacesAndCombiningMarksRoundTrip() {
        for id in ["a \u{301}b", "x\r\ny", "100%", "%20", "é é"] {
            let message = ChildMessage.ended(id: JobID(id))
            #expect(!message.line.dropLast().contains(" \u{301}"))
            #expect(ChildMessage(line: message.line.dropLast()) == message, "\(id)")
        }
        #expect(ChildMessage(line: "end a%2") == nil)
        #expect(ChildMessage(line: "end a%") == nil)
    }
}
