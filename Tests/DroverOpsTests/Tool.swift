import DroverSystem
import DroverTestSupport
import Foundation
import Testing

/// One run of an external program (systemd-analyze, logrotate, Scripts/install): its exit status
/// and its output, stdout and stderr kept apart.
struct ToolRun: CustomStringConvertible {
    var command: [String]
    var status: WaitStatus
    var stdout: String
    var stderr: String

    var exitCode: Int32? { status.exitStatus }

    var description: String {
        "\(command.joined(separator: " ")) ended \(status)\n--- stdout:\n\(stdout)--- stderr:\n\(stderr)"
    }
}

/// Runs programs the way an admin does, from files in a private directory (no pipes to drain,
/// so a chatty program can never block on a full pipe).
enum Tool {
    /// Runs `program ARGUMENTS` (found on PATH or in sbin) and waits for it.
    /// - Parameters:
    ///   - environment: added to this process's environment.
    ///   - directory: the working directory is not changed; output files go here.
    static func run(_ program: String, _ arguments: [String], environment: [String: String] = [:]) throws -> ToolRun {
        let path = program.hasPrefix("/") ? program : try Executables.find(program)
        let scratch = try TempDirectory(prefix: "drover-tool")
        let out = scratch.path + "/stdout", err = scratch.path + "/stderr"
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { _, new in new }
        var spawn = Spawn(path: path, arguments: [program] + arguments, environment: env)
        spawn.standardInput = FileDescriptor(owning: open("/dev/null", O_RDONLY | O_CLOEXEC))
        spawn.standardOutput = FileDescriptor(owning: open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600))
        spawn.standardError = FileDescriptor(owning: open(err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600))
        let pid = try spawn.run()
        try spawn.standardInput?.close()
        try spawn.standardOutput?.close()
        try spawn.standardError?.close()
        let status = try Posix.wait(pid)
        return ToolRun(command: [program] + arguments, status: status,
                       stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
                       stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
    }

    /// Whether a program is installed (Scripts/setup --test installs every one these tests use).
    static func exists(_ program: String) -> Bool {
        (try? Executables.find(program)) != nil
    }
}

/// A private directory under /tmp, removed with everything in it when the value goes away.
final class TempDirectory {
    let path: String

    init(prefix: String) throws {
        var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw TestFixtureError("mkdtemp failed") }
        path = String(cString: made)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// Where the repository's files are: two levels above this file (Tests/DroverOpsTests/).
enum Repository {
    static let root: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    static func path(_ relative: String) -> String { root + "/" + relative }

    static func read(_ relative: String) throws -> String {
        try String(contentsOfFile: path(relative), encoding: .utf8)
    }

    /// The unit files shipped in systemd/.
    static func units() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path("systemd"))
            .filter { $0.hasSuffix(".service") }.sorted()
    }
}
