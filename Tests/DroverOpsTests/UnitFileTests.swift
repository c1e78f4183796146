import DroverCore
import DroverTestSupport
import Foundation
import Testing

/// The shipped unit files, checked the way systemd itself reads them, offline (no systemd runs
/// on these machines: docs/platform.md). Scripts/systemd-test boots a real one.
@Suite struct UnitFileTests {
    /// A copy of every unit in a private directory with ExecStart= and friends pointing at the
    /// binary this build made, since `verify` checks that each command exists and is executable.
    /// The template is verified as an instance (drover@example.service): `verify` checks a bare
    /// template's keys but not its commands.
    static func unitsAgainstBuiltBinary(in directory: TempDirectory) throws -> [String] {
        let binary = try DroverBinary.path()
        var paths: [String] = []
        for unit in try Repository.units() {
            let text = try Repository.read("systemd/" + unit).replacingOccurrences(of: "/usr/local/bin/drover", with: binary)
            let name = unit == "drover@.service" ? "drover@example.service" : unit
            let path = directory.path + "/" + name
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            paths.append(path)
        }
        return paths
    }

    @Test func everyUnitPassesSystemdAnalyzeVerifyWithoutAWord() throws {
        let directory = try TempDirectory(prefix: "drover-units")
        let units = try Self.unitsAgainstBuiltBinary(in: directory)
        #expect(units.count >= 4, "drover, drover@, drover-scheduler, drover-web: \(units)")
        for unit in units {
            let run = try Tool.run("systemd-analyze", ["verify", unit])
            // verify exits 0 even for unknown keys and bad values; what it says on stderr is the
            // verdict (docs/platform.md).
            #expect(run.exitCode == 0, "\(run)")
            #expect(run.stderr.isEmpty, "\(run)")
        }
    }

    @Test func verifyWouldCatchAMistake() throws {
        // The check above is only worth something if a broken unit makes verify speak.
        let directory = try TempDirectory(prefix: "drover-units")
        let unit = try #require(try Self.unitsAgainstBuiltBinary(in: directory).first { $0.hasSuffix("/drover.service") })
        let broken = try String(contentsOfFile: unit, encoding: .utf8)
            .replacingOccurrences(of: "KillMode=mixed", with: "KillMode=mixed\nKilMode=typo")
        try broken.write(toFile: unit, atomically: true, encoding: .utf8)
        let run = try Tool.run("systemd-analyze", ["verify", unit])
        #expect(run.stderr.contains("Unknown key"), "\(run)")
    }

    @Test(arguments: ["drover.service", "drover@.service", "drover-scheduler.service", "drover-web.service"])
    func exposureIsAtMostOnePointFive(unit: String) throws {
        let run = try Tool.run("systemd-analyze", ["security", "--offline=true", "--no-pager", Repository.path("systemd/" + unit)])
        #expect(run.exitCode == 0, "\(run)")
        let exposure = try #require(Self.exposure(run.stdout), "no overall exposure in:\n\(run)")
        #expect(exposure <= 1.5, "\(unit): exposure \(exposure)\n\(run.stdout)")
    }

    /// The number in "→ Overall exposure level for drover.service: 1.1 OK".
    static func exposure(_ text: String) -> Double? {
        guard let line = text.split(separator: "\n").last(where: { $0.contains("Overall exposure level") }),
              let colon = line.lastIndex(of: ":") else { return nil }
        return line[line.index(after: colon)...].split(separator: " ").first.flatMap { Double($0) }
    }

    @Test func theSupervisorUnitSaysWhatIssueSixAsks() throws {
        let settings = try Self.settings(Repository.read("systemd/drover.service"))
        let expected: [String: String] = [
            "Type": "notify", "NotifyAccess": "main", "KillMode": "mixed",
            "Restart": "on-failure", "RestartPreventExitStatus": "78", "Environment": "SWIFT_BACKTRACE=enable=no",
            "User": "drover", "NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes",
            "PrivateTmp": "yes", "PrivateDevices": "yes", "ProtectKernelTunables": "yes", "ProtectKernelModules": "yes",
            "ProtectKernelLogs": "yes", "CapabilityBoundingSet": "", "SystemCallFilter": "@system-service",
            "ExecStartPre": "-/usr/local/bin/drover check-config /etc/drover/drover.yml",
            "ExecReload": "/bin/kill -HUP $MAINPID",
        ]
        for (key, value) in expected {
            #expect(settings[key]?.contains(value) == true, "\(key)=\(value) expected, found \(settings[key] ?? [])")
        }
        #expect(settings["WatchdogSec"]?.isEmpty == false)
        #expect(settings["ReadWritePaths"]?.first?.contains("/var/log/drover") == true)
        #expect(settings["RestrictAddressFamilies"]?.isEmpty == false)
        #expect(settings["ExecStart"]?.first?.hasPrefix("/usr/local/bin/drover worker --config /etc/drover/drover.yml") == true)
    }

    /// No core file of a Drover process, which holds the Redis password (issue 15).
    @Test(arguments: ["drover.service", "drover@.service", "drover-scheduler.service", "drover-web.service"])
    func noUnitDumpsCore(unit: String) throws {
        let settings = try Self.settings(Repository.read("systemd/" + unit))
        #expect(settings["LimitCORE"] == ["0"], "\(unit): LimitCORE=\(settings["LimitCORE"] ?? [])")
    }

    @Test func theStopTimeoutLeavesAMarginOverTheGracefulTimeout() throws {
        // Unicorn's rule: the unit waits longer than the master's own drain, so the master, not
        // systemd's SIGKILL, decides what happens to a job that does not finish.
        let settings = try Self.settings(Repository.read("systemd/drover.service"))
        let stop = try #require(settings["TimeoutStopSec"]?.first.flatMap(Self.seconds))
        let example = try Repository.read("config/drover.example.yml")
        let graceful = try #require(example.split(separator: "\n")
            .first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("graceful_timeout:") }
            .flatMap { Self.seconds(String($0.split(separator: ":")[1]).trimmingCharacters(in: .whitespaces)) })
        #expect(stop >= graceful + 10, "TimeoutStopSec \(stop) s, graceful_timeout \(graceful) s")
    }

    /// A unit that may serve HTTP raises its file limit above the connection cap, with room for
    /// Redis connections, logs and pipes (issue 15, item 8).
    @Test(arguments: ["drover.service", "drover@.service", "drover-web.service"])
    func theFileLimitLeavesRoomAboveTheHTTPConnectionCap(unit: String) throws {
        let settings = try Self.settings(Repository.read("systemd/" + unit))
        let limit = try #require(settings["LimitNOFILE"]?.last.flatMap { Int($0) }, "\(unit) sets no LimitNOFILE=")
        #expect(limit >= HTTPConfig().maxConnections + 1024, "\(unit): LimitNOFILE=\(limit)")
    }

    @Test(arguments: ["drover.service", "drover@.service", "drover-scheduler.service", "drover-web.service"])
    func everySettingHasAComment(unit: String) throws {
        // An admin reads the unit for the first time: every setting is under a comment, either
        // its own or its group's (a run of settings with no blank line or section between).
        var commented = false
        for raw in try Repository.read("systemd/" + unit).split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("#") {
                commented = true
            } else if line.isEmpty || line.hasPrefix("[") {
                commented = false
            } else if line != "WantedBy=multi-user.target" {
                #expect(commented, "\(unit): \(line) has no comment above it")
            }
        }
    }

    /// KEY → values, in file order (keys may repeat).
    static func settings(_ text: String) -> [String: [String]] {
        var settings: [String: [String]] = [:]
        for raw in text.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            guard !line.hasPrefix("#"), !line.hasPrefix("["), let equals = line.firstIndex(of: "=") else { continue }
            settings[String(line[..<equals]), default: []].append(String(line[line.index(after: equals)...]))
        }
        return settings
    }

    /// "45s", "2min", "30" → seconds.
    static func seconds(_ text: String) -> Int? {
        if let plain = Int(text) { return plain }
        if text.hasSuffix("min"), let minutes = Int(text.dropLast(3)) { return minutes * 60 }
        if text.hasSuffix("s"), let seconds = Int(text.dropLast()) { return seconds }
        if text.hasSuffix("m"), let minutes = Int(text.dropLast()) { return minutes * 60 }
        return nil
    }
}
