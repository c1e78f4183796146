import DroverSystem
import Foundation

/// Two network namespaces joined by a veth pair, for tests of real network faults (issue 15):
/// Redis listens in one (`redisAddress`), Drover runs in the other (`droverAddress`), and
/// nftables drop rules in Drover's namespace cut the two apart (`cut`) and join them again
/// (`heal`). The addresses exist only inside these namespaces. `remove` deletes both namespaces
/// (and so the veth pair and the rules); call it in a `defer`, so a failing test leaves nothing.
public final class NetworkPartition: @unchecked Sendable {
    /// The namespace Redis runs in.
    public let redisNamespace: String
    /// The namespace Drover runs in, where the drop rules go.
    public let droverNamespace: String
    /// Redis's address, inside `redisNamespace`.
    public let redisAddress = "10.213.0.1"
    /// Drover's address, inside `droverNamespace`.
    public let droverAddress = "10.213.0.2"
    private static let table = "drover_partition"
    private var removed = false

    /// Creates the namespaces and the link between them.
    /// - Throws: when a namespace cannot be created (no root, no `ip`, a kernel without them);
    ///   whatever was made is removed first.
    public init() throws {
        let tag = String(getpid())
        redisNamespace = "drv-redis-\(tag)"
        droverNamespace = "drv-work-\(tag)"
        do {
            try Self.ip(["netns", "add", redisNamespace])
            try Self.ip(["netns", "add", droverNamespace])
            let (r, d) = ("drvr\(tag)", "drvd\(tag)")
            try Self.ip(["link", "add", r, "netns", redisNamespace, "type", "veth", "peer", "name", d, "netns", droverNamespace])
            try Self.ip(["-n", redisNamespace, "addr", "add", "\(redisAddress)/30", "dev", r])
            try Self.ip(["-n", droverNamespace, "addr", "add", "\(droverAddress)/30", "dev", d])
            for (namespace, device) in [(redisNamespace, r), (droverNamespace, d)] {
                try Self.ip(["-n", namespace, "link", "set", "lo", "up"])
                try Self.ip(["-n", namespace, "link", "set", device, "up"])
            }
        } catch {
            remove()
            throw error
        }
    }

    /// Whether `ip` and `nft` are installed (Scripts/setup --test installs them).
    public static var toolsPresent: Bool {
        (try? Executables.find("ip")) != nil && (try? Executables.find("nft")) != nil
    }

    /// The argv that runs `command` inside `namespace` (`ip netns exec` execs it in place, so
    /// the process started is the command itself).
    public func inside(_ namespace: String, _ command: [String]) throws -> (path: String, arguments: [String]) {
        (try Executables.find("ip"), ["ip", "netns", "exec", namespace] + command)
    }

    /// Drops every packet between the two namespaces, both ways (no reply, no reset: a cut cable).
    public func cut() throws {
        let rules = """
        table inet \(Self.table) {
          chain input { type filter hook input priority 0; policy accept; ip saddr \(redisAddress) drop; }
          chain output { type filter hook output priority 0; policy accept; ip daddr \(redisAddress) drop; }
        }
        """
        let file = NSTemporaryDirectory() + "drover-partition-\(getpid()).nft"
        try rules.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        try Self.run(try Executables.find("ip"), ["ip", "netns", "exec", droverNamespace, try Executables.find("nft"), "-f", file])
    }

    /// Removes the drop rules.
    public func heal() throws {
        try Self.run(try Executables.find("ip"), ["ip", "netns", "exec", droverNamespace, try Executables.find("nft"),
                                                  "delete", "table", "inet", Self.table])
    }

    /// Deletes both namespaces (the veth pair and the rules go with them).
    public func remove() {
        guard !removed else { return }
        removed = true
        for namespace in [redisNamespace, droverNamespace] { try? Self.ip(["netns", "delete", namespace]) }
    }

    deinit { remove() }

    private static func ip(_ arguments: [String]) throws {
        try run(try Executables.find("ip"), ["ip"] + arguments)
    }

    private static func run(_ path: String, _ arguments: [String]) throws {
        let program = try ChildProgram.start(path, arguments)
        let status = program.waitForExit()
        guard status == .exited(0) else {
            throw TestFixtureError("\(arguments.joined(separator: " ")): \(status): \(program.seen)")
        }
    }
}
