/// Everything wrong with a config, each problem with its key path and its line in the file, so
/// `drover check-config` can print them all at once and an operator can fix them in one go.
///
/// A bad config makes `drover worker` exit with `ConfigError.exitStatus` (78) before READY.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of problem, for code that reacts to one kind (tests, `--json` output).
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The code's name, such as `unknown_key`.
        public var rawValue: String
        /// Creates a code; prefer the statics.
        /// - Parameter rawValue: the code's name.
        public init(_ rawValue: String) { self.rawValue = rawValue }

        /// The file is not valid YAML.
        public static let syntax = Code("syntax")
        /// The file could not be read.
        public static let unreadable = Code("unreadable")
        /// A key Drover does not know: usually a typo, which must not be silently ignored.
        public static let unknownKey = Code("unknown_key")
        /// A required key is absent.
        public static let missingKey = Code("missing_key")
        /// A value of the wrong type or out of range.
        public static let invalidValue = Code("invalid_value")
        /// A name used twice (pools, periodic entries, YAML keys).
        public static let duplicate = Code("duplicate")
        /// An environment override that is not valid.
        public static let environment = Code("environment")

        /// The code's name.
        public var description: String { rawValue }
    }

    /// One problem: where it is and what is wrong.
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        /// The kind of problem.
        public var code: Code
        /// The key path, such as `pools[1].concurrency`, or an environment variable's name;
        /// empty for the document as a whole.
        public var path: String
        /// What is wrong, for an operator.
        public var message: String
        /// The 1-based line in the file, when the problem is in the file.
        public var line: Int?
        /// The 1-based column in the file, when known.
        public var column: Int?

        /// Creates a problem.
        /// - Parameters:
        ///   - code: the kind of problem.
        ///   - path: the key path or variable name.
        ///   - message: what is wrong.
        ///   - line: the 1-based line, if in a file.
        ///   - column: the 1-based column, if known.
        public init(code: Code, path: String, message: String, line: Int? = nil, column: Int? = nil) {
            self.code = code
            self.path = path
            self.message = message
            self.line = line
            self.column = column
        }

        /// `pools[1].concurrency: must be a whole number from 1 to 1024, not 0 (line 7, column 18)`.
        public var description: String {
            var text = path.isEmpty ? message : "\(path): \(message)"
            if let line {
                text += column.map { " (line \(line), column \($0))" } ?? " (line \(line))"
            }
            return text
        }
    }

    /// The file the problems are in, if the config came from one.
    public var file: String?
    /// Every problem found, in file order.
    public var problems: [Problem]

    /// EX_CONFIG from sysexits.h: "Something was found in an unconfigured or misconfigured
    /// state." A systemd unit sets `RestartPreventExitStatus=78` so a bad file is not retried.
    public static let exitStatus: Int32 = 78

    /// Creates an error.
    /// - Parameters:
    ///   - file: the file, if any.
    ///   - problems: what is wrong; should not be empty.
    public init(file: String?, problems: [Problem]) {
        self.file = file
        self.problems = problems
    }

    /// A header naming the file and the count, then one problem per line.
    public var description: String {
        let source = file.map { "config file \($0)" } ?? "config"
        let count = problems.count == 1 ? "1 problem" : "\(problems.count) problems"
        return (["\(source) is invalid (\(count)):"] + problems.map { "  \($0)" }).joined(separator: "\n")
    }
}
