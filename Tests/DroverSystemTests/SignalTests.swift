import DroverSystem
import Testing

@Suite struct SignalTests {
    @Test(arguments: [
        (Signal.hup, 1, "HUP"), (.int, 2, "INT"), (.quit, 3, "QUIT"), (.abrt, 6, "ABRT"), (.kill, 9, "KILL"),
        (.usr1, 10, "USR1"), (.segv, 11, "SEGV"), (.usr2, 12, "USR2"), (.pipe, 13, "PIPE"), (.alrm, 14, "ALRM"),
        (.term, 15, "TERM"), (.chld, 17, "CHLD"), (.cont, 18, "CONT"), (.stop, 19, "STOP"), (.ttin, 21, "TTIN"),
        (.ttou, 22, "TTOU"),
    ])
    func namedSignalsHaveLinuxNumbersAndNames(signal: Signal, number: Int32, name: String) {
        #expect(signal.rawValue == number)
        #expect(signal.name == name)
        #expect(signal.description == name)
        #expect(Signal(name: name) == signal)
    }

    @Test func namesParseAsOperatorsTypeThem() {
        #expect(Signal(name: "SIGTERM") == .term)
        #expect(Signal(name: "term") == .term)
        #expect(Signal(name: "sigTtin") == .ttin)
        #expect(Signal(name: "15") == .term)
        #expect(Signal(name: "SIG15") == .term)
    }

    @Test func unknownNamesAndNumbersAreRejected() {
        #expect(Signal(name: "TERMINATE") == nil)
        #expect(Signal(name: "") == nil)
        #expect(Signal(name: "SIG") == nil)
        #expect(Signal(name: "0") == nil)
        #expect(Signal(name: "65") == nil)
        #expect(Signal(name: "-9") == nil)
    }

    @Test func realTimeSignalsAreNamedByNumber() {
        #expect(Signal(rawValue: 40).name == "40")
        #expect(Signal(name: "40") == Signal(rawValue: 40))
    }
}
