import DroverCore
import DroverRedis
import Foundation

/// The supervisor's settings from the config file, the environment and flags, in that order of
/// precedence, lowest first (README "The supervisor"). Read again, whole, on HUP.
struct WorkerSettings {
    var queues: [String] = []
    var concurrency: Int?
    var maxJobs: Int?
    var timeout: Double?
    var url: String?
    var passwordFile: String?
    var configFlag: String?
    var environment = ProcessInfo.processInfo.environment
    var cores = ProcessInfo.processInfo.activeProcessorCount

    /// Whether the exec programs must exist here: for the roles that run them and check-config.
    var checksExecPrograms = false

    /// Loads the config and applies the environment, then the flags.
    /// - Throws: `ConfigError` listing every problem.
    func load() throws(ConfigError) -> DroverConfig {
        let path = DroverConfig.path(flag: configFlag, environment: environment,
                                     fileExists: { FileManager.default.fileExists(atPath: $0) })
        var config = try path.map { path throws(ConfigError) in try DroverConfig.load(path: path, cores: cores) }
            ?? DroverConfig.defaultConfig(cores: cores)
        config = try config.applyingEnvironment(environment)
        if let url { config.redis.url = url }
        if let passwordFile { config.redis.passwordFile = passwordFile }
        if !queues.isEmpty {
            // Queues on the command line make one pool of them, as `rq worker high default`.
            config.pools = [PoolConfig(name: "default", queues: queues, concurrency: concurrency ?? max(1, cores))]
        }
        for index in config.pools.indices {
            if let concurrency { config.pools[index].concurrency = concurrency }
            if let maxJobs { config.pools[index].maxJobs = maxJobs }
            if let timeout { config.pools[index].timeLimit = TimeSpan(seconds: timeout) }
        }
        let programs = checksExecPrograms ? config.exec.compactMap(\.programProblem) : []
        if !programs.isEmpty { throw ConfigError(file: config.file, problems: programs) }
        return config
    }

    /// Client options for children: the config's URL and password.
    /// - Throws: `ConfigError` when the URL or password file is unusable (a config problem: 78).
    static func redisOptions(_ config: DroverConfig, environment: [String: String]) throws(ConfigError) -> RedisClient.Options {
        do {
            let url = try RedisPassword.resolve(RedisURL(parsing: config.redis.url), environment: environment,
                                                passwordFile: config.redis.passwordFile)
            return RedisClient.Options(url: url)
        } catch {
            throw ConfigError(file: config.file, problems: [.init(code: .invalidValue, path: "redis", message: error.description)])
        }
    }
}
