@testable import Drover
import DroverTestSupport
import Foundation
import Testing

/// The shared output pieces (80 columns, colour only on a terminal) and every command's help.
@Suite struct OutputTests {
    @Test func aTableTooWideNarrowsItsFlexibleColumnsAndStaysWithinEightyColumns() {
        var table = TextTable([.init("id"), .init("queue", flexible: true), .init("name", flexible: true), .init("n", alignRight: true)])
        table.append(["01JD3W4X5Y6Z7A8B9C0D1E2F3G", .init(String(repeating: "q", count: 40)), .init(String(repeating: "n", count: 50)), "7"])
        table.append(["01JD3W4X5Y6Z7A8B9C0D1E2F3H", "mail", "send", "12"])
        let lines = table.render().split(separator: "\n")
        #expect(lines.allSatisfy { $0.count <= 80 }, "\(lines)")
        #expect(lines[1].contains("01JD3W4X5Y6Z7A8B9C0D1E2F3G"), "a fixed column is never cut")
        #expect(lines[1].contains("…"), "a cut cell says so")
        #expect(lines[2].hasSuffix("12") && lines[1].hasSuffix(" 7"), "numbers align right")
    }

    @Test func aTableThatFitsIsNotTouched() {
        var table = TextTable([.init("queue", flexible: true), .init("queued", alignRight: true)])
        table.append(["default", "3"])
        #expect(table.render() == "queue    queued\ndefault       3")
    }

    @Test func coloursOnlyWhenAllowed() {
        let on = TerminalStyle(colors: true)
        #expect(on.paint("busy", .green) == "\u{1B}[32mbusy\u{1B}[0m")
        #expect(TerminalStyle(colors: false).paint("busy", .green) == "busy")
        // Escape codes never count against a column's width.
        var table = TextTable([.init("state"), .init("n", alignRight: true)])
        table.append([.init("busy", .green), "1"])
        let plain = table.render(style: TerminalStyle(colors: false))
        let colored = table.render(style: on)
        #expect(colored.replacingOccurrences(of: "\u{1B}[32m", with: "").replacingOccurrences(of: "\u{1B}[1m", with: "")
            .replacingOccurrences(of: "\u{1B}[0m", with: "") == plain)
        // NO_COLOR wins even on a terminal; a pipe (these tests' stdout) never gets colour.
        #expect(!TerminalStyle.standardOutput(environment: ["NO_COLOR": "1", "TERM": "xterm"]).colors)
        #expect(!TerminalStyle.standardOutput(environment: ["TERM": "dumb"]).colors)
    }

    @Test func humanUnitsAreShort() {
        #expect(HumanUnits.duration(milliseconds: 59_999) == "59s")
        #expect(HumanUnits.duration(milliseconds: 3_600_000) == "1h")
        #expect(HumanUnits.duration(milliseconds: -5) == "0s")
        #expect(HumanUnits.bytes(44_040_192) == "42M")
        #expect(HumanUnits.bytes(1_610_612_736) == "1.5G")
        #expect(HumanUnits.rate(12.34) == "12.3")
    }

    static let commands: [[String]] = [
        [], ["worker"], ["scheduler"], ["web"], ["enqueue"], ["status"], ["cancel"], ["info"], ["workers"], ["failed"],
        ["requeue"], ["empty"], ["periodic"], ["control"], ["control", "scale"], ["control", "shutdown"], ["check-config"],
        ["work"],
    ]

    @Test(arguments: commands)
    func everyHelpExplainsWithAnExample(command: [String]) throws {
        let run = try DroverBinary.run(command + ["--help"])
        #expect(run.exitCode == 0, "\(run)")
        #expect(run.stdout.contains("Example"), "drover \(command.joined(separator: " ")) --help has no example:\n\(run.stdout)")
    }

    /// Issue 15, item 13: help texts broke lines mid-sentence, where a hard-wrapped paragraph
    /// or a long example line met the help's own wrapping at 80 columns (its width when not on
    /// a terminal). In the text before USAGE, a line that is a paragraph's last fragment is
    /// followed by a blank line, and an example (indented) never runs onto an unindented line.
    @Test(arguments: commands + [["bench"], ["bench", "enqueue"]])
    func everyHelpWrapsCleanly(command: [String]) throws {
        let run = try DroverBinary.run(command + ["--help"], environment: ["COLUMNS": "80"])
        let lines = run.stdout.split(separator: "\n", omittingEmptySubsequences: false).prefix { !$0.hasPrefix("USAGE:") }.map(String.init)
        for (index, line) in lines.enumerated().dropLast() {
            let next = lines[index + 1]
            guard !line.isEmpty, !next.isEmpty, !next.hasPrefix(" ") else { continue }
            let name = command.joined(separator: " ")
            #expect(!line.hasPrefix(" "), "drover \(name) --help: an example runs onto the next line:\n\(line)\n\(next)")
            #expect(line.count > 60 || line.hasSuffix(":"),
                    "drover \(name) --help: a line breaks mid-sentence:\n\(line)\n\(next)")
        }
    }

    @Test(arguments: ["bash", "zsh", "fish"])
    func shellCompletionsNameTheMonitoringCommands(shell: String) throws {
        let run = try DroverBinary.run(["--generate-completion-script", shell])
        #expect(run.exitCode == 0, "\(run)")
        for command in ["info", "workers", "failed", "requeue", "empty", "control"] {
            #expect(run.stdout.contains(command), "\(shell) completion lacks \(command)")
        }
    }
}
