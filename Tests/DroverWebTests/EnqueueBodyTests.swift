import DroverCore
@testable import DroverWeb
import Testing

/// The HTTP enqueue body's durations, times and nesting (issue 15, items 1, 5 and 9): each bad
/// value is a 400 naming the field, before anything reaches Redis.
@Suite struct EnqueueBodyTests {
    func refusal(_ body: String) -> String? {
        do {
            _ = try EnqueueBody.parse(body)
            return nil
        } catch {
            #expect(error.status == .badRequest, "\(error)")
            return error.message
        }
    }

    @Test(arguments: [
        (#"{"name":"builtin.sleep","time_limit":"115741d"}"#, "time_limit"),
        (#"{"name":"builtin.sleep","time_limit":1e10}"#, "time_limit"),
        (#"{"name":"builtin.sleep","soft_time_limit":-1}"#, "soft_time_limit"),
        (#"{"name":"builtin.sleep","in":1e300}"#, "in"),
        (#"{"name":"builtin.sleep","result_ttl":"99999999d"}"#, "result_ttl"),
        (#"{"name":"j","at":"2026-11-24T09:00:00+25:00"}"#, "offset's hours"),
        (#"{"name":"j","at":"2026-02-30T09:00:00Z"}"#, "day 30"),
        (#"{"name":"j","at":"99999-01-01T00:00:00Z"}"#, "at:"),
        (#"{"name":"j","at":"2026-11-24T09:00:00.123456789012Z1"}"#, "at:"),
    ])
    func outOfRangeDurationsAndMalformedTimesAreRefused(body: String, field: String) {
        let message = refusal(body)
        #expect(message?.contains(field) == true, "\(String(describing: message))")
    }

    @Test func theLongestDurationAndAnExactTimeAreAccepted() throws {
        let request = try EnqueueBody.parse(#"{"name":"j","time_limit":"36500d","at":"2026-11-24T09:00:00.123456789012Z"}"#)
        #expect(request.options.timeLimit == .maximum)
        #expect(request.options.runAt == 1_795_510_800_123)
    }

    @Test func argumentsNestedPast64LevelsAreRefusedBeforeTheyAreParsed() throws {
        let deep = String(repeating: "[", count: 510) + String(repeating: "]", count: 510)
        #expect(refusal(#"{"name":"j","args":\#(deep)}"#)?.contains("deeper than 64") == true)
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(try EnqueueBody.parse(#"{"name":"j","args":\#(ok)}"#).argsJSON == ok)
    }
}
