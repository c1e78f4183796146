import Foundation

/// A `redis-server` of the test's own, on a unix socket in a temporary directory, with no
/// persistence; stopped when released. Started as an app's own tests would start one.
final class PrivateRedis {
    let directory: URL
    let process = Process()

    var url: String { "unix://\(directory.path)/redis.sock" }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("drover-examples-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/redis-server")
        process.arguments = ["--port", "0", "--unixsocket", directory.path + "/redis.sock", "--save", "", "--appendonly", "no",
                             "--dir", directory.path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        // Ready once it says so (the event, rather than a guessed delay).
        var seen = Data()
        while !String(decoding: seen, as: UTF8.self).lowercased().contains("ready to accept connections") {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "redis-server exited: \(String(decoding: seen, as: UTF8.self))"]) }
            seen.append(chunk)
        }
    }

    deinit {
        // KILL and no wait: the server keeps nothing, and Foundation reaps its child itself.
        kill(process.processIdentifier, SIGKILL)
        try? FileManager.default.removeItem(at: directory)
    }
}
