import Foundation

/// The whole of `drover.yml` (README "Configuration"), parsed and validated.
///
/// Build one with `parse(yaml:file:cores:)` or `load(path:cores:)`, then
/// `applyingEnvironment(_:)`; with no file at all, `defaultConfig(cores:)` is what the README
/// promises: queue `default`, one child per core, Redis at `REDIS_URL` or 127.0.0.1:6379.
/// Command-line flags come last and are the CLI's to apply.
public struct DroverConfig: Sendable, Equatable {
    /// Where Redis is.
    public var redis: RedisConfig
    /// The worker pools; never empty.
    public var pools: [PoolConfig]
    /// The scheduler child.
    public var scheduler: SchedulerConfig
    /// The HTTP child, or nil for none.
    public var http: HTTPConfig?
    /// Jobs enqueued on a schedule.
    public var periodic: [PeriodicEntry]
    /// Jobs served by external programs, in file order.
    public var exec: [ExecCommand]
    /// How the master stops.
    public var shutdown: ShutdownConfig
    /// Limits for jobs whose job and pool set none.
    public var jobDefaults: JobDefaultsConfig
    /// The file it was read from, if any.
    public var file: String?

    /// Creates a config from its parts.
    /// - Parameters:
    ///   - redis: where Redis is.
    ///   - pools: the pools.
    ///   - scheduler: the scheduler child.
    ///   - http: the HTTP child.
    ///   - periodic: the periodic entries.
    ///   - exec: the exec commands.
    ///   - shutdown: how the master stops.
    ///   - jobDefaults: default job limits.
    ///   - file: the source file.
    public init(
        redis: RedisConfig = RedisConfig(), pools: [PoolConfig], scheduler: SchedulerConfig = SchedulerConfig(),
        http: HTTPConfig? = nil, periodic: [PeriodicEntry] = [], exec: [ExecCommand] = [],
        shutdown: ShutdownConfig = ShutdownConfig(), jobDefaults: JobDefaultsConfig = JobDefaultsConfig(),
        file: String? = nil
    ) {
        self.redis = redis
        self.pools = pools
        self.scheduler = scheduler
        self.http = http
        self.periodic = periodic
        self.exec = exec
        self.shutdown = shutdown
        self.jobDefaults = jobDefaults
        self.file = file
    }

    /// The config with no file: one pool `default` serving queue `default` with one child per
    /// core, local Redis, no scheduler, no HTTP.
    /// - Parameter cores: the number of cores (a parameter so tests need not depend on the host).
    public static func defaultConfig(cores: Int) -> DroverConfig {
        DroverConfig(pools: [.defaultPool(cores: cores)])
    }

    /// Where the config is read from when `--config` and `DROVER_CONFIG` are absent.
    public static let defaultPath = "/etc/drover/drover.yml"

    /// Which file to read: the `--config` flag, else `DROVER_CONFIG`, else `defaultPath` when
    /// present, else none (run on defaults). An explicit path that does not exist is still
    /// returned, so loading it fails loudly rather than silently running on defaults.
    /// - Parameters:
    ///   - flag: the `--config` value, if given.
    ///   - environment: the process environment.
    ///   - fileExists: whether a path exists (injected so tests need no files).
    /// - Returns: the path to load, or nil to use `defaultConfig(cores:)`.
    public static func path(
        flag: String?, environment: [String: String], fileExists: (String) -> Bool
    ) -> String? {
        if let flag, !flag.isEmpty { return flag }
        if let path = environment["DROVER_CONFIG"], !path.isEmpty { return path }
        return fileExists(defaultPath) ? defaultPath : nil
    }

    /// The pool named `name`.
    /// - Parameter name: a pool name.
    public func pool(named name: String) -> PoolConfig? { pools.first { $0.name == name } }

    /// The exec command serving job `name`.
    /// - Parameter name: a job name.
    public func execCommand(named name: String) -> ExecCommand? { exec.first { $0.name == name } }

    /// The periodic entry named `name`.
    /// - Parameter name: an entry name.
    public func periodicEntry(named name: String) -> PeriodicEntry? { periodic.first { $0.name == name } }
}
