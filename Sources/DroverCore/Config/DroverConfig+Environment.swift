import Foundation

extension DroverConfig {
    /// The environment variables `applyingEnvironment(_:)` reads, with what each sets.
    /// `DROVER_CONFIG` (which file) is read by `path(flag:environment:fileExists:)`.
    public static let environmentOverrides: [(variable: String, setting: String)] = [
        ("REDIS_URL", "redis.url"),
        ("DROVER_PREFIX", "redis.prefix"),
        ("DROVER_REDIS_PASSWORD_FILE", "redis.password_file"),
        ("DROVER_HTTP_LISTEN", "http.listen (enables the HTTP child)"),
        ("DROVER_HTTP_TOKEN_FILE", "http.token_file"),
        ("DROVER_SCHEDULER", "scheduler.enabled"),
        ("DROVER_GRACEFUL_TIMEOUT", "shutdown.graceful_timeout"),
    ]

    /// The config with environment overrides applied; they win over the file, and flags win
    /// over them. Empty variables are ignored, as unset (a container's `FOO=` usually means that).
    /// - Parameter environment: the variables, such as `ProcessInfo.processInfo.environment`.
    /// - Throws: `ConfigError` naming every variable whose value is not valid.
    public func applyingEnvironment(_ environment: [String: String]) throws(ConfigError) -> DroverConfig {
        var config = self
        var problems: [ConfigError.Problem] = []
        func value(_ name: String) -> String? {
            guard let value = environment[name], !value.isEmpty else { return nil }
            return value
        }
        func invalid(_ name: String, _ message: String) {
            problems.append(.init(code: .environment, path: name, message: message))
        }

        if let url = value("REDIS_URL") {
            if let problem = RedisConfig.problem(url: url) { invalid("REDIS_URL", problem) }
            config.redis.url = url
        }
        if let prefix = value("DROVER_PREFIX") {
            if let problem = RedisConfig.problem(prefix: prefix) { invalid("DROVER_PREFIX", problem) }
            config.redis.prefix = prefix
        }
        if let file = value("DROVER_REDIS_PASSWORD_FILE") { config.redis.passwordFile = file }
        if let listen = value("DROVER_HTTP_LISTEN") {
            if let problem = HTTPConfig.problem(listen: listen) { invalid("DROVER_HTTP_LISTEN", problem) }
            config.http = config.http ?? HTTPConfig()
            config.http?.listen = listen
        }
        if let file = value("DROVER_HTTP_TOKEN_FILE") {
            config.http = config.http ?? HTTPConfig()
            config.http?.tokenFile = file
        }
        if let text = value("DROVER_SCHEDULER") {
            switch text.lowercased() {
            case "1", "true", "yes", "on": config.scheduler.enabled = true
            case "0", "false", "no", "off": config.scheduler.enabled = false
            default: invalid("DROVER_SCHEDULER", "must be true or false, not \"\(text)\"")
            }
        }
        if let text = value("DROVER_GRACEFUL_TIMEOUT") {
            do {
                config.shutdown.gracefulTimeout = try TimeSpan(parsing: text)
            } catch {
                invalid("DROVER_GRACEFUL_TIMEOUT", error.description)
            }
        }
        if !problems.isEmpty { throw ConfigError(file: nil, problems: problems) }
        return config
    }
}
