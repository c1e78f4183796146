import Foundation
import Testing
@testable import DroverCore

/// The README's configuration sections, verbatim.
let designSample = """
redis: { url: redis://127.0.0.1:6379/0, password_file: /etc/drover/redis.pass, prefix: drover }
pools:
  - name: social
    queues: [social_media]          # several queues: strict order, first non-empty wins
    concurrency: 4
    max_jobs: 1000                   # recycle a child after N jobs
    max_memory_mb: 512               # recycle a child whose RSS passes this, after its job
    soft_time_limit: 30s
    time_limit: 60s
scheduler: true                      # the master forks a scheduler child
http: { listen: 127.0.0.1:9181, token_file: /etc/drover/api.token }
periodic:
  - { name: nightly, cron: "0 2 * * *", timezone: UTC, job: scrape_all, queue: default }
exec:                                # jobs any language can serve: argv only, no shell
  resize_image: { command: [/usr/bin/python3, /srv/app/resize.py], time_limit: 120s }
shutdown: { graceful_timeout: 30s }
"""

@Suite struct ConfigParsingTests {
    @Test func designSampleParses() throws {
        let config = try DroverConfig.parse(yaml: designSample, file: "drover.yml", cores: 2)
        #expect(config.redis == RedisConfig(url: "redis://127.0.0.1:6379/0", passwordFile: "/etc/drover/redis.pass", prefix: "drover"))
        #expect(config.pools == [PoolConfig(
            name: "social", queues: ["social_media"], concurrency: 4, maxJobs: 1000, maxMemoryMB: 512,
            softTimeLimit: .seconds(30), timeLimit: .seconds(60)
        )])
        #expect(config.scheduler == SchedulerConfig(enabled: true, catchUp: SchedulerConfig.defaultCatchUp))
        #expect(config.http == HTTPConfig(listen: "127.0.0.1:9181", tokenFile: "/etc/drover/api.token", openReads: false))
        #expect(config.http?.host == "127.0.0.1")
        #expect(config.http?.port == 9181)
        let nightly = try #require(config.periodicEntry(named: "nightly"))
        #expect(nightly.schedule == (try CronSchedule(parsing: "0 2 * * *")))
        #expect(nightly.timeZone.secondsFromGMT(for: utc("2026-07-01T00:00:00Z")) == 0)
        #expect(nightly.job == "scrape_all")
        #expect(nightly.queue == "default")
        #expect(config.exec == [ExecCommand(name: "resize_image", argv: ["/usr/bin/python3", "/srv/app/resize.py"], timeLimit: .seconds(120))])
        #expect(config.shutdown.gracefulTimeout == .seconds(30))
        #expect(config.file == "drover.yml")
    }

    @Test func noFileMeansOneDefaultPoolWithOneChildPerCore() {
        let config = DroverConfig.defaultConfig(cores: 6)
        #expect(config.pools == [PoolConfig(name: "default", queues: ["default"], concurrency: 6)])
        #expect(config.redis.url == "redis://127.0.0.1:6379/0")
        #expect(config.redis.prefix == "drover")
        #expect(!config.scheduler.enabled)
        #expect(config.http == nil)
        #expect(config.shutdown.gracefulTimeout == .seconds(30))
    }

    @Test func anEmptyFileOrOneWithoutPoolsUsesTheDefaults() throws {
        #expect(try DroverConfig.parse(yaml: "", cores: 3) == DroverConfig.defaultConfig(cores: 3))
        #expect(try DroverConfig.parse(yaml: "# nothing yet\n", cores: 3) == DroverConfig.defaultConfig(cores: 3))
        let config = try DroverConfig.parse(yaml: "redis: { prefix: myapp }", cores: 3)
        #expect(config.pools == [.defaultPool(cores: 3)])
        #expect(config.redis.prefix == "myapp")
    }

    @Test func aPoolWithoutConcurrencyGetsOneChildPerCore() throws {
        let config = try DroverConfig.parse(yaml: "pools: [{ name: a, queues: [x, y] }]", cores: 5)
        #expect(config.pools == [PoolConfig(name: "a", queues: ["x", "y"], concurrency: 5)])
    }

    @Test func schedulerAcceptsABoolOrAMapping() throws {
        #expect(try DroverConfig.parse(yaml: "scheduler: false").scheduler.enabled == false)
        let mapped = try DroverConfig.parse(yaml: "scheduler: { catch_up: 10m }").scheduler
        #expect(mapped == SchedulerConfig(enabled: true, catchUp: .minutes(10)))
        #expect(try DroverConfig.parse(yaml: "scheduler: { enabled: no, catch_up: 0 }").scheduler
            == SchedulerConfig(enabled: false, catchUp: .zero))
    }

    @Test func periodicEntriesCarryZoneArgsAndOptions() throws {
        let yaml = """
        periodic:
          - name: report
            cron: "@daily"
            timezone: Europe/Berlin
            job: send_report
            queue: mail
            args: { to: [ops@example.com], "retries": 3, dry: true, ratio: 0.5, note: "1", none: null }
            priority: 5
            max_attempts: 2
            soft_time_limit: 1m
            time_limit: 2m
        """
        let entry = try #require(try DroverConfig.parse(yaml: yaml).periodic.first)
        #expect(entry.name == "report")
        #expect(entry.timeZone.identifier == "Europe/Berlin")
        #expect(entry.schedule == (try CronSchedule(parsing: "0 0 * * *")))
        #expect(entry.queue == "mail")
        #expect(entry.argsJSON == #"{"to":["ops@example.com"],"retries":3,"dry":true,"ratio":0.5,"note":"1","none":null}"#)
        #expect(entry.priority == 5)
        #expect(entry.maxAttempts == 2)
        #expect(entry.softTimeLimit == .minutes(1))
        #expect(entry.timeLimit == .minutes(2))
        #expect(entry.nextTick(after: utc("2026-01-01T12:00:00Z"))?.date == utc("2026-01-01T23:00:00Z"))
    }

    @Test func jobDefaultsAndOpenReads() throws {
        let config = try DroverConfig.parse(yaml: """
        defaults: { soft_time_limit: 5m, time_limit: 10m }
        http: { listen: "[::1]:8080", open_reads: true }
        """)
        #expect(config.jobDefaults == JobDefaultsConfig(softTimeLimit: .minutes(5), timeLimit: .minutes(10)))
        #expect(config.http?.host == "::1")
        #expect(config.http?.port == 8080)
        #expect(config.http?.openReads == true)
    }

    @Test func configPathPrefersFlagThenEnvironmentThenTheDefaultFileWhenPresent() {
        #expect(DroverConfig.path(flag: "a.yml", environment: ["DROVER_CONFIG": "b.yml"], fileExists: { _ in true }) == "a.yml")
        #expect(DroverConfig.path(flag: nil, environment: ["DROVER_CONFIG": "b.yml"], fileExists: { _ in true }) == "b.yml")
        #expect(DroverConfig.path(flag: nil, environment: [:], fileExists: { _ in true }) == "/etc/drover/drover.yml")
        #expect(DroverConfig.path(flag: nil, environment: [:], fileExists: { _ in false }) == nil)
    }

    @Test func loadReadsAFileAndReportsAMissingOne() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("drover-\(UUID().uuidString).yml").path
        try designSample.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try DroverConfig.load(path: path, cores: 1).pools.first?.name == "social")

        #expect {
            try DroverConfig.load(path: path + ".missing")
        } throws: { error in
            let error = error as! ConfigError
            return error.problems.map(\.code) == [.unreadable] && error.file == path + ".missing"
        }
    }
}
