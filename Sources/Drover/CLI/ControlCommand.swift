import ArgumentParser
import DroverCore
import DroverQueue
import Foundation

/// `drover control`: reaches running supervisors through Redis (their control lists), so an
/// admin can act on a master on another host without a shell there.
struct ControlCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "control",
        abstract: "Control running supervisors through Redis: scale a pool, shut a host down.",
        discussion: """
        A master picks its commands up when it next publishes its record, within about a second; \
        this command waits up to --wait seconds to see them picked up. On the master's own host, \
        signals do the same: TTIN/TTOU (one child more or less in every pool), TERM (warm stop).

        Examples:
          drover control scale default +2           (every supervisor with the pool)
          drover control scale mail -1 --supervisor web-1:4242
          drover control shutdown web-1             (every supervisor on host web-1)
          drover control shutdown web-1:4242        (one supervisor)
        """,
        subcommands: [ControlScaleCommand.self, ControlShutdownCommand.self]
    )
}

/// `drover control scale POOL ±N`
struct ControlScaleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scale",
        abstract: "Add (+N) or remove (-N) children of a pool; never below one.",
        discussion: "Examples:\n  drover control scale default +2\n  drover control scale default -1 --supervisor web-1:4242"
    )

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The pool.")
    var pool: String

    // Captured raw, so that "-1" is read as a number rather than as an unknown option.
    @Argument(parsing: .allUnrecognized, help: ArgumentHelp("+N or -N.", valueName: "delta"))
    var delta: [String] = []

    @Option(help: ArgumentHelp("Only this supervisor (HOST:PID, as drover workers shows).", valueName: "id"))
    var supervisor: String?

    @Option(help: "Seconds to wait for the masters to pick the command up (0: do not wait).")
    var wait: Double = 3

    @Flag(help: "Print the outcome as JSON.")
    var json = false

    var steps: Int? {
        guard delta.count == 1, let text = delta.first else { return nil }
        return Int(text.hasPrefix("+") ? String(text.dropFirst()) : text)
    }

    func validate() throws {
        if let problem = ControlDelivery.waitOption.problem(wait) { throw ValidationError(problem) }
        guard let steps, steps != 0 else { throw ValidationError("give the change as +N or -N (not 0), e.g. +2 or -1") }
    }

    func run() throws {
        try reportingFailures {
            let store = try connection.store()
            let targets = try store.supervisors().filter { record in
                (supervisor == nil || record.id == supervisor) && record.pools.contains { $0.name == pool }
            }
            guard !targets.isEmpty else {
                let which = supervisor.map { "supervisor \($0)" } ?? "any registered supervisor"
                throw CLIFailure(status: ExitStatus.failure, message: "no pool \(pool) on \(which) (see drover workers)")
            }
            try ControlDelivery.send(.scale(pool: pool, delta: steps ?? 0), to: targets, store: store, wait: wait,
                                     describe: "scale \(pool) \(steps ?? 0 > 0 ? "+" : "")\(steps ?? 0)", json: json)
        }
    }
}

/// `drover control shutdown HOST|HOST:PID`
struct ControlShutdownCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shutdown",
        abstract: "Warm-stop supervisors: running jobs finish, then the masters exit.",
        discussion: """
        Under systemd with Restart=on-failure a master that exits this way stays stopped (its exit \
        is clean); use `systemctl restart drover` on the host to start it again.

        Examples:
          drover control shutdown web-1
          drover control shutdown web-1:4242 --json
        """
    )

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: ArgumentHelp("A host (every supervisor on it), a supervisor id HOST:PID, or a --name.", valueName: "host"))
    var target: String

    @Option(help: "Seconds to wait for the masters to pick the command up (0: do not wait).")
    var wait: Double = 3

    func validate() throws {
        if let problem = ControlDelivery.waitOption.problem(wait) { throw ValidationError(problem) }
    }

    @Flag(help: "Print the outcome as JSON.")
    var json = false

    func run() throws {
        try reportingFailures {
            let store = try connection.store()
            let targets = try store.supervisors().filter { $0.id == target || $0.host == target || $0.name == target }
            guard !targets.isEmpty else {
                throw CLIFailure(status: ExitStatus.failure, message: "no supervisor on \(target) is registered (see drover workers)")
            }
            try ControlDelivery.send(.shutdown, to: targets, store: store, wait: wait, describe: "shutdown", json: json)
        }
    }
}

/// Sends one command to each target and waits for the masters to take it off their lists.
enum ControlDelivery {
    static let waitOption = SecondsOption(flag: "--wait", range: 0...3600)

    static func send(_ command: DroverQueue.ControlCommand, to targets: [SupervisorRecord], store: JobStore, wait: Double,
                     describe: String, json: Bool) throws {
        let waitFor = try waitOption.duration(wait)
        for target in targets { try store.send(command, toSupervisor: target.id) }
        var pending = Set(targets.map(\.id))
        let deadline = ContinuousClock.now + waitFor
        while !pending.isEmpty && ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.05)
            for id in pending {
                let waiting: Int
                do {
                    waiting = try store.client.command("LLEN", store.keys.control(id)).int ?? 0
                } catch {
                    throw QueueError(error.isUnavailable ? .unavailable : .redis, error.description, underlying: error)
                }
                if waiting == 0 { pending.remove(id) }
            }
        }
        if json {
            printJSON(.object([
                "command": (try? JSONValue(parsing: command.json)) ?? .null,
                "sent": .array(targets.map { .string($0.id) }),
                "picked_up": .array(targets.filter { !pending.contains($0.id) }.map { .string($0.id) }),
                "pending": .array(targets.filter { pending.contains($0.id) }.map { .string($0.id) }),
            ]))
            return
        }
        for target in targets {
            let outcome = pending.contains(target.id)
                ? (wait > 0 ? "sent, not picked up yet (last heard from \(HumanUnits.duration(milliseconds: Timestamp.nowMilliseconds() - target.heartbeatAt)) ago)" : "sent")
                : "picked up"
            print("\(describe) → \(target.id): \(outcome)")
        }
    }
}
