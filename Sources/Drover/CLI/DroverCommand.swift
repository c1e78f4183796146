import ArgumentParser

/// The `drover` command. A synchronous root on purpose: an `AsyncParsableCommand` root starts
/// Swift concurrency threads before `main` runs, and the supervisor must `fork()` while it still
/// has one thread (docs/platform.md).
public struct DroverCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "drover",
        abstract: "Drover: Redis-backed background jobs with a production process supervisor.",
        discussion: """
        Redis is chosen with --url or REDIS_URL (default redis://127.0.0.1:6379/0); the password may \
        come from the URL, REDIS_PASSWORD, or --password-file. Every command has its own --help \
        with examples; `drover --generate-completion-script bash|zsh|fish` prints shell completions \
        (Scripts/install installs them).

        Examples:
          drover enqueue builtin.sleep --args '{"seconds": 2}'
          drover status JOB_ID
          drover worker --config /etc/drover/drover.yml   (systemctl start drover)
          drover info --interval 2                        (redrawn every 2 s)
          drover workers                                  (supervisors, children)
          drover failed --queue mail
          drover requeue --all --queue mail
        """,
        subcommands: [
            WorkerCommand.self, SchedulerCommand.self, WebCommand.self,
            EnqueueCommand.self, StatusCommand.self, CancelCommand.self,
            InfoCommand.self, WorkersCommand.self, FailedCommand.self, RequeueCommand.self, EmptyCommand.self,
            PeriodicCommand.self, ControlCommand.self, CheckConfigCommand.self,
            WorkCommand.self, BenchCommand.self,
        ]
    )

    public init() {}
}
