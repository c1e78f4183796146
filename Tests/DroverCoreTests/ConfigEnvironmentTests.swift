import Testing
@testable import DroverCore

@Suite struct ConfigEnvironmentTests {
    @Test func overridesWinOverTheFile() throws {
        let file = try DroverConfig.parse(yaml: designSample, cores: 2)
        let config = try file.applyingEnvironment([
            "REDIS_URL": "redis://redis.internal:6380/2",
            "DROVER_PREFIX": "staging",
            "DROVER_REDIS_PASSWORD_FILE": "/run/secrets/redis",
            "DROVER_HTTP_LISTEN": "0.0.0.0:9000",
            "DROVER_HTTP_TOKEN_FILE": "/run/secrets/token",
            "DROVER_SCHEDULER": "false",
            "DROVER_GRACEFUL_TIMEOUT": "2m",
            "UNRELATED": "x",
        ])
        #expect(config.redis == RedisConfig(url: "redis://redis.internal:6380/2", passwordFile: "/run/secrets/redis", prefix: "staging"))
        #expect(config.http == HTTPConfig(listen: "0.0.0.0:9000", tokenFile: "/run/secrets/token"))
        #expect(!config.scheduler.enabled)
        #expect(config.shutdown.gracefulTimeout == .minutes(2))
        #expect(config.pools == file.pools)
    }

    @Test func noVariablesOrEmptyOnesChangeNothing() throws {
        let defaults = DroverConfig.defaultConfig(cores: 2)
        #expect(try defaults.applyingEnvironment([:]) == defaults)
        #expect(try defaults.applyingEnvironment(["REDIS_URL": "", "DROVER_PREFIX": ""]) == defaults)
    }

    @Test func listenEnablesTheHttpChild() throws {
        let config = try DroverConfig.defaultConfig(cores: 1).applyingEnvironment(["DROVER_HTTP_LISTEN": "127.0.0.1:9181"])
        #expect(config.http == HTTPConfig())
    }

    @Test func badValuesAreAllReportedByVariableName() {
        #expect {
            try DroverConfig.defaultConfig(cores: 1).applyingEnvironment([
                "REDIS_URL": "localhost", "DROVER_PREFIX": "a{b}", "DROVER_SCHEDULER": "perhaps",
                "DROVER_GRACEFUL_TIMEOUT": "-1s", "DROVER_HTTP_LISTEN": "nowhere",
            ])
        } throws: { error in
            let error = error as! ConfigError
            return Set(error.problems.map(\.path))
                == ["REDIS_URL", "DROVER_PREFIX", "DROVER_SCHEDULER", "DROVER_GRACEFUL_TIMEOUT", "DROVER_HTTP_LISTEN"]
                && error.problems.allSatisfy { $0.code == .environment && $0.line == nil }
        }
    }
}
