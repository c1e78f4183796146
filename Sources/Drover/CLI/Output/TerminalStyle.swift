import Foundation

/// Colours for human output, only where a person reads it: stdout is a terminal, `NO_COLOR` is
/// not set (https://no-color.org) and `TERM` is not `dumb`. Piped into a file, `grep` or a
/// script, the output is plain text, byte for byte the same table without escape codes.
struct TerminalStyle: Sendable {
    /// Whether escape codes are written at all.
    var colors: Bool

    /// ANSI SGR colours used by the monitoring commands.
    enum Color: String, Sendable {
        case red = "31", green = "32", yellow = "33", dim = "2", bold = "1"
    }

    /// The style for stdout, decided once per command.
    static func standardOutput(environment: [String: String] = ProcessInfo.processInfo.environment) -> TerminalStyle {
        let terminal = isatty(STDOUT_FILENO) == 1
        let allowed = environment["NO_COLOR"].map(\.isEmpty) ?? true
        return TerminalStyle(colors: terminal && allowed && environment["TERM"] != "dumb")
    }

    /// Whether stdout is a terminal (for `--interval`'s screen redraw).
    static var standardOutputIsTerminal: Bool { isatty(STDOUT_FILENO) == 1 }

    /// `text` in `color`, or `text` itself when colours are off.
    func paint(_ text: String, _ color: Color?) -> String {
        guard colors, let color, !text.isEmpty else { return text }
        return "\u{1B}[\(color.rawValue)m\(text)\u{1B}[0m"
    }

    /// Moves the cursor home and clears the screen, as `watch` and `rq info --interval` redraw.
    static let clearScreen = "\u{1B}[H\u{1B}[2J"
}
