import Foundation
internal import Yams

/// A job any language can serve: `exec: { NAME: { command: [argv…], time_limit } }`. The worker
/// runs the program directly with these arguments, never through a shell, so job data can never
/// be interpreted as shell syntax.
public struct ExecCommand: Sendable, Equatable {
    /// The job name this command serves (the key under `exec:`).
    public var name: String
    /// The program (an absolute path) and its arguments.
    public var argv: [String]
    /// Kill the program after this long, unless the job sets its own.
    public var timeLimit: TimeSpan?
    /// Signal the program (via its job's cancellation) after this long.
    public var softTimeLimit: TimeSpan?
    /// Where the program is named in the config file (line, column), for `programProblem`;
    /// not part of the command's identity (`==` leaves it out).
    public var programAt: [Int] = []

    public static func == (lhs: ExecCommand, rhs: ExecCommand) -> Bool {
        lhs.name == rhs.name && lhs.argv == rhs.argv && lhs.timeLimit == rhs.timeLimit && lhs.softTimeLimit == rhs.softTimeLimit
    }

    /// Creates an exec command.
    /// - Parameters:
    ///   - name: the job name.
    ///   - argv: the absolute program path and its arguments.
    ///   - timeLimit: the hard limit.
    ///   - softTimeLimit: the soft limit.
    public init(name: String, argv: [String], timeLimit: TimeSpan? = nil, softTimeLimit: TimeSpan? = nil) {
        self.name = name
        self.argv = argv
        self.timeLimit = timeLimit
        self.softTimeLimit = softTimeLimit
    }

    /// The program's path, `argv[0]`.
    public var executable: String { argv.first ?? "" }

    static let keys = ["command", "soft_time_limit", "time_limit"]

    /// Reads `exec:`, a mapping of job names to commands, in file order.
    static func readAll(_ node: Node, path: String, reader: inout ConfigReader) -> [ExecCommand] {
        guard let mapping = node.mapping else {
            reader.report(.invalidValue, path, "must map job names to { command: [program, args…] }", at: node)
            return []
        }
        var commands: [ExecCommand] = []
        for (key, value) in mapping {
            guard let name = reader.name(key, path: path, what: "a job name") else { continue }
            commands.append(read(value, name: name, path: "\(path).\(name)", reader: &reader))
        }
        return commands
    }

    static func read(_ node: Node, name: String, path: String, reader: inout ConfigReader) -> ExecCommand {
        var command = ExecCommand(name: name, argv: [])
        guard let fields = reader.fields(node, path: path, allowed: keys) else { return command }
        if let value = fields.required("command", &reader) {
            command.argv = readArgv(value, path: fields.path("command"), reader: &reader)
            if let mark = value.sequence?.first?.mark { command.programAt = [mark.line, mark.column] }
        }
        (command.softTimeLimit, command.timeLimit) = reader.timeLimits(fields)
        return command
    }

    /// Why this command's program cannot run on this host, as a config problem, or nil. Asked
    /// by the roles that run exec jobs (`drover worker`, `drover work`) and by check-config, not
    /// while reading the file: a web-only or scheduler-only host may share the config without
    /// the programs.
    public var programProblem: ConfigError.Problem? {
        guard executable.hasPrefix("/"), let problem = ExecCommand.programProblem(executable) else { return nil }
        return ConfigError.Problem(code: .invalidValue, path: "exec.\(name).command[0]", message: problem,
                                   line: programAt.first, column: programAt.dropFirst().first)
    }

    /// Why `program` (an absolute path) cannot be run, or nil: it must exist, be a file and be
    /// executable by this user (execve(2) fails with ENOENT, EACCES otherwise).
    static func programProblem(_ program: String) -> String? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: program, isDirectory: &isDirectory) else {
            return "the program \"\(program)\" does not exist"
        }
        if isDirectory.boolValue { return "\"\(program)\" is a directory, not a program" }
        // Any execute bit, and access(2) agreeing: root passes access(X_OK) for a file with no
        // execute bit at all, which execve(2) still refuses.
        let mode = ((try? FileManager.default.attributesOfItem(atPath: program))?[.posixPermissions] as? Int) ?? 0
        guard mode & 0o111 != 0, FileManager.default.isExecutableFile(atPath: program) else {
            return "the program \"\(program)\" is not executable (chmod +x, or check its owner)"
        }
        return nil
    }

    private static func readArgv(_ node: Node, path: String, reader: inout ConfigReader) -> [String] {
        guard let sequence = node.sequence else {
            reader.report(
                .invalidValue, path,
                "must be a list [program, arg, …], not a string: Drover runs no shell, so a command line "
                    + "cannot be split safely (write [/usr/bin/python3, /srv/app/resize.py])",
                at: node
            )
            return []
        }
        guard !sequence.isEmpty else {
            reader.report(.invalidValue, path, "must name at least the program", at: node)
            return []
        }
        var argv: [String] = []
        for (index, item) in sequence.enumerated() {
            guard let argument = reader.string(item, path: "\(path)[\(index)]") else { continue }
            argv.append(argument)
        }
        if let program = sequence.first.flatMap({ $0.scalar?.string }), !program.hasPrefix("/") {
            // No PATH lookup: which binary runs must not depend on the environment of the worker.
            reader.report(.invalidValue, "\(path)[0]", "the program must be an absolute path, not \"\(program)\"", at: sequence.first)
        }
        return argv
    }
}
