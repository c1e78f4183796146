import ArgumentParser
import DroverCore
import DroverRedis
import DroverSystem

/// How the long-running commands (`worker`, `scheduler`, `web`, `periodic`) find their config
/// and Redis, with one precedence everywhere: a flag, then the environment (`REDIS_URL`,
/// `DROVER_CONFIG`, …), then the file.
struct ConfigOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Redis URL (overrides REDIS_URL and the config).", valueName: "url"))
    var url: String?

    @Option(help: ArgumentHelp("Read the Redis password from this file.", valueName: "file"))
    var passwordFile: String?

    @Option(help: ArgumentHelp("Config file (default: DROVER_CONFIG, else /etc/drover/drover.yml when present).", valueName: "file"))
    var config: String?

    /// Loads the config and where Redis is. Blanks a password typed into `--url` out of argv
    /// first (`ps` shows argv).
    /// - Parameter settings: the command's own overrides (queues, concurrency…); the three
    ///   options above are filled in.
    /// - Throws: `CLIFailure` with exit status 78 (EX_CONFIG) for any problem, before anything
    ///   starts: under systemd, `RestartPreventExitStatus=78` then stops the restart loop.
    func load(_ settings: WorkerSettings = WorkerSettings()) throws -> (config: DroverConfig, redis: RedisClient.Options) {
        if url != nil { ArgvScrubber.hidePasswords() }
        let settings = applied(to: settings)
        do throws(ConfigError) {
            let loaded = try settings.load()
            return (loaded, try WorkerSettings.redisOptions(loaded, environment: settings.environment))
        } catch {
            throw CLIFailure(status: ExitStatus.config, message: error.description)
        }
    }

    /// `settings` with these options filled in (what a reload reads the config with again).
    func applied(to settings: WorkerSettings) -> WorkerSettings {
        var settings = settings
        settings.url = url
        settings.passwordFile = passwordFile
        settings.configFlag = config
        return settings
    }
}
