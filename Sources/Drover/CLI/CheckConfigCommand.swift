import ArgumentParser
import DroverCore
import Foundation

/// `drover check-config [FILE]`: validates a config as `drover worker` would read it, printing
/// every problem with its line. Exit 78 (EX_CONFIG) when there are problems, so it can gate a
/// deploy or an `ExecReload=`.
struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate a config file and print every problem with its line.",
        discussion: """
        Without FILE or --config: DROVER_CONFIG, else /etc/drover/drover.yml when present, else the defaults. \
        Environment overrides (REDIS_URL, DROVER_PREFIX, …) are checked too. Exit status 78 \
        (EX_CONFIG) when there is any problem; systemd runs it before every start and reload of \
        drover.service.

        Examples:
          drover check-config /etc/drover/drover.yml
          drover check-config --config /etc/drover/drover.yml
          drover check-config new.yml && sudo cp new.yml /etc/drover/drover.yml
        """
    )

    @Argument(help: "The config file.")
    var file: String?

    @Option(help: ArgumentHelp("The config file, as every other command takes it (the same as FILE).", valueName: "file"))
    var config: String?

    func validate() throws {
        if let file, let config, file != config {
            throw ValidationError("give the config file once: FILE (\(file)) and --config (\(config)) differ")
        }
    }

    func run() throws {
        var settings = WorkerSettings(configFlag: file ?? config)
        settings.checksExecPrograms = true
        do throws(ConfigError) {
            let config = try settings.load()
            _ = try WorkerSettings.redisOptions(config, environment: settings.environment)
            let pools = config.pools.map { "\($0.name) [\($0.queues.joined(separator: ", "))] ×\($0.concurrency)" }
            print("\(config.file ?? "defaults (no config file)"): ok; pools: \(pools.joined(separator: "; "))")
        } catch {
            print(error.description)
            throw ExitCode(ExitStatus.config)
        }
    }
}
