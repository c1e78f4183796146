import DroverTestSupport
import Foundation
import Testing

/// Scripts/install and Scripts/uninstall into a temporary root (`--prefix`), where they create
/// no user and tell no systemd; the real install (user, owners, daemon-reload, a service that
/// starts) is Scripts/systemd-test's first step, inside a booted container.
@Suite struct InstallTests {
    /// Every file and directory under `root`, relative, with its mode.
    static func tree(_ root: String) throws -> [String: String] {
        var entries: [String: String] = [:]
        let enumerator = FileManager.default.enumerator(atPath: root)
        while let relative = enumerator?.nextObject() as? String {
            var info = stat()
            guard lstat(root + "/" + relative, &info) == 0 else { continue }
            let kind = (info.st_mode & S_IFMT) == S_IFDIR ? "d" : "f"
            entries["/" + relative] = kind + String(info.st_mode & 0o7777, radix: 8)
        }
        return entries
    }

    static let expected: [String: String] = [
        "/usr/local/bin/drover": "f755",
        "/etc/drover": "d750",
        "/etc/drover/drover.yml": "f640",
        "/var/log/drover": "d750",
        "/var/lib/drover": "d750",
        "/etc/systemd/system/drover.service": "f644",
        "/etc/systemd/system/drover@.service": "f644",
        "/etc/systemd/system/drover-scheduler.service": "f644",
        "/etc/systemd/system/drover-web.service": "f644",
        "/etc/logrotate.d/drover": "f644",
        "/usr/local/share/doc/drover/README.md": "f644",
        "/usr/local/share/doc/drover/drover.example.yml": "f644",
        "/usr/local/share/bash-completion/completions/drover": "f644",
        "/usr/local/share/zsh/site-functions/_drover": "f644",
        "/usr/local/share/fish/vendor_completions.d/drover.fish": "f644",
    ]

    func install(_ arguments: [String]) throws -> ToolRun {
        try Tool.run(Repository.path("Scripts/install"), ["--binary", try DroverBinary.path()] + arguments)
    }

    @Test func installIntoAPrefixMakesTheExpectedTreeAndAgainChangesNothing() throws {
        let root = try TempDirectory(prefix: "drover-install")
        let first = try install(["--prefix", root.path])
        #expect(first.exitCode == 0, "\(first)")
        let tree = try Self.tree(root.path)
        // Exactly these files (and the directories that hold them): nothing more, nothing less.
        let files = Set(tree.filter { $0.value.hasPrefix("f") }.keys)
        #expect(files == Set(Self.expected.filter { $0.value.hasPrefix("f") }.keys), "\(tree)")
        for (path, mode) in Self.expected {
            #expect(tree[path] == mode, "\(path): \(tree[path] ?? "missing"), expected \(mode)")
        }
        // The installed copies are the repository's, and the config is the commented example.
        #expect(try String(contentsOfFile: root.path + "/etc/systemd/system/drover.service", encoding: .utf8)
                == Repository.read("systemd/drover.service"))
        #expect(try String(contentsOfFile: root.path + "/etc/drover/drover.yml", encoding: .utf8)
                == Repository.read("config/drover.example.yml"))
        let completion = try String(contentsOfFile: root.path + "/usr/local/share/bash-completion/completions/drover", encoding: .utf8)
        #expect(completion.contains("workers") && completion.contains("check-config"), "bash completion names the subcommands")

        // Idempotent: an admin's edited config survives a second run; the tree is the same.
        try "redis: { url: redis://10.0.0.5:6379/0 }\n".write(toFile: root.path + "/etc/drover/drover.yml", atomically: true, encoding: .utf8)
        chmod(root.path + "/etc/drover/drover.yml", 0o640)
        let second = try install(["--prefix", root.path])
        #expect(second.exitCode == 0, "\(second)")
        #expect(second.stdout.contains("keeping"), "\(second)")
        #expect(try String(contentsOfFile: root.path + "/etc/drover/drover.yml", encoding: .utf8).contains("10.0.0.5"))
        #expect(try Self.tree(root.path) == tree)
    }

    @Test func theExampleConfigPassesCheckConfig() throws {
        let run = try DroverBinary.run(["check-config", Repository.path("config/drover.example.yml")])
        #expect(run.exitCode == 0, "\(run)")
    }

    @Test func aDryRunPrintsEveryStepAndWritesNothing() throws {
        let root = try TempDirectory(prefix: "drover-install")
        let target = root.path + "/root"
        let run = try install(["--prefix", target, "--dry-run"])
        #expect(run.exitCode == 0, "\(run)")
        #expect(!FileManager.default.fileExists(atPath: target), "a dry run created \(target)")
        for path in ["/usr/local/bin/drover", "/etc/drover/drover.yml", "/etc/systemd/system/drover.service", "/etc/logrotate.d/drover"] {
            #expect(run.stdout.contains(target + path), "the dry run does not mention \(path):\n\(run.stdout)")
        }
    }

    @Test func uninstallRemovesWhatInstallPutThereAndPurgeTheRest() throws {
        let root = try TempDirectory(prefix: "drover-install")
        #expect(try install(["--prefix", root.path]).exitCode == 0)
        let keep = try Tool.run(Repository.path("Scripts/uninstall"), ["--prefix", root.path])
        #expect(keep.exitCode == 0, "\(keep)")
        let left = Set(try Self.tree(root.path).filter { $0.value.hasPrefix("f") }.keys)
        #expect(left == ["/etc/drover/drover.yml"], "only the config is kept: \(left)")
        #expect(FileManager.default.fileExists(atPath: root.path + "/var/log/drover"))
        let purge = try Tool.run(Repository.path("Scripts/uninstall"), ["--prefix", root.path, "--purge"])
        #expect(purge.exitCode == 0, "\(purge)")
        #expect(try Self.tree(root.path).filter { $0.value.hasPrefix("f") }.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: root.path + "/etc/drover"))
    }

    // As root (CI) there is nothing to refuse; the refusal is one `id -u` test in the script.
    @Test(.enabled(if: getuid() != 0, "only a non-root user is refused"))
    func aRealInstallRefusesToRunWithoutRoot() throws {
        let run = try install([])
        #expect(run.exitCode == 77, "\(run)")
    }
}
