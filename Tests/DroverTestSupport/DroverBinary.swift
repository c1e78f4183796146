import DroverSystem
import Foundation

/// How one run of the `drover` binary ended: its exit, its stdout and stderr kept apart, and how
/// long it took from spawn to exit.
public struct DroverRun: Sendable, CustomStringConvertible {
    /// How the program ended.
    public var status: WaitStatus
    /// Everything it wrote to stdout.
    public var stdout: String
    /// Everything it wrote to stderr.
    public var stderr: String
    /// From spawn to exit.
    public var elapsed: Duration

    /// The exit status, or nil when a signal ended it.
    public var exitCode: Int32? {
        if case .exited(let code) = status { return code }
        return nil
    }

    /// stdout without its trailing newline.
    public var line: String {
        stdout.hasSuffix("\n") ? String(stdout.dropLast()) : stdout
    }

    public var description: String {
        "drover ended \(status) after \(elapsed)\n--- stdout:\n\(stdout)--- stderr:\n\(stderr)"
    }
}

/// The real `drover` executable, built beside the test bundle, run as a user runs it.
public enum DroverBinary {
    /// The executable: `DROVER_BINARY` if set, else `drover` in the directory holding the test
    /// bundle (`.build/debug/drover` beside `.build/debug/DroverPackageTests.xctest`).
    public static func path() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        if let explicit = environment["DROVER_BINARY"], !explicit.isEmpty { return explicit }
        var directories: [URL] = []
        let bundle = Bundle.main.bundleURL
        directories.append(bundle.pathExtension == "xctest" ? bundle.deletingLastPathComponent() : bundle)
        directories.append(bundle.deletingLastPathComponent())
        for bundle in Bundle.allBundles where bundle.bundleURL.pathExtension == "xctest" {
            directories.append(bundle.bundleURL.deletingLastPathComponent())
        }
        if let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            // On Linux the test bundle is itself the executable (…/debug/DroverPackageTests.xctest).
            directories.append(URL(fileURLWithPath: executable).deletingLastPathComponent())
        }
        for directory in directories {
            let candidate = directory.appendingPathComponent("drover").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw TestFixtureError("""
            the drover binary was not found beside the test bundle (looked in \
            \(directories.map(\.path))): build it with `swift build --build-tests`, or set DROVER_BINARY
            """)
    }

    /// Runs `drover ARGUMENTS` and waits for it.
    ///
    /// The child gets this process's environment without `REDIS_URL`, `REDIS_PASSWORD` and
    /// `DROVER_*` (so a developer's shell cannot point a test at a real server), plus
    /// `environment`; stdin is /dev/null.
    /// - Throws: when the program cannot start, or has not exited after `timeout` (it is killed).
    public static func run(_ arguments: [String], environment: [String: String] = [:],
                           timeout: Duration = .seconds(60)) throws -> DroverRun {
        var childEnvironment = ProcessInfo.processInfo.environment.filter { key, _ in
            key != "REDIS_URL" && key != "REDIS_PASSWORD" && !key.hasPrefix("DROVER_")
        }
        childEnvironment.merge(environment) { _, new in new }
        let out = try DroverSystem.Pipe()
        let err = try DroverSystem.Pipe()
        let path = try path()
        var spawn = Spawn(path: path, arguments: ["drover"] + arguments, environment: childEnvironment)
        spawn.standardOutput = out.writeEnd
        spawn.standardError = err.writeEnd
        spawn.standardInput = FileDescriptor(owning: open("/dev/null", O_RDONLY | O_CLOEXEC))
        let started = ContinuousClock.now
        let pid = try spawn.run()
        try out.writeEnd.close()
        try err.writeEnd.close()
        var stdout: [UInt8] = []
        var stderr: [UInt8] = []
        var streams = [(out.readEnd, true), (err.readEnd, false)]
        let deadline = started + timeout
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !streams.isEmpty {
            let left = deadline - ContinuousClock.now
            if left <= .zero {
                try? Posix.kill(pid, .kill)
                _ = try? Posix.wait(pid)
                throw TestFixtureError("drover \(arguments) did not exit within \(timeout); stdout so far:\n"
                                       + String(decoding: stdout, as: UTF8.self)
                                       + "\nstderr so far:\n" + String(decoding: stderr, as: UTF8.self))
            }
            var fds = streams.map { pollfd(fd: $0.0.rawValue, events: Int16(POLLIN), revents: 0) }
            let ms = Int32(min(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000, 1000))
            let ready = poll(&fds, nfds_t(fds.count), max(ms, 1))
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { continue }
            var closed: [Int] = []
            for (index, pfd) in fds.enumerated() where pfd.revents != 0 {
                let n = read(pfd.fd, &buffer, buffer.count)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 {
                    closed.append(index)
                } else if streams[index].1 {
                    stdout += buffer[0..<n]
                } else {
                    stderr += buffer[0..<n]
                }
            }
            for index in closed.reversed() { streams.remove(at: index) }
        }
        // Both pipes reached EOF: the program exited (or closed them); reap it.
        let status = try Posix.wait(pid)
        return DroverRun(status: status, stdout: String(decoding: stdout, as: UTF8.self),
                         stderr: String(decoding: stderr, as: UTF8.self), elapsed: ContinuousClock.now - started)
    }
}
