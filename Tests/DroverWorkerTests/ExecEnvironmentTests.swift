@testable import DroverWorker
import Testing

/// What an exec program inherits of its worker's environment.
struct ExecEnvironmentTests {
    /// Drover's settings and every variable that may hold a Redis password stay behind, even in
    /// a worker that did not take them out of its environment at start (an app that embeds the
    /// worker without `DroverApp.main`); the admin's own variables go through.
    @Test func noRedisSecretOrDroverSettingReachesAProgram() {
        let worker = [
            "PATH": "/usr/bin", "LANG": "C.UTF-8", "APP_MODE": "prod",
            "REDIS_PASSWORD": "s", "REDIS_URL": "redis://:s@h", "REDISCLI_AUTH": "s", "DROVER_CONFIG": "/etc/d.yml",
            "NOTIFY_SOCKET": "/run/n", "WATCHDOG_USEC": "1",
        ]
        #expect(ExecRun.programEnvironment(from: worker) == ["PATH": "/usr/bin", "LANG": "C.UTF-8", "APP_MODE": "prod"])
    }
}
