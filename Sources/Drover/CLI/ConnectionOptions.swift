import ArgumentParser
import DroverCore
import DroverQueue
import DroverRedis
import DroverSystem
import Foundation

/// Where Redis is: `--url`, else `REDIS_URL`, else the config's `redis.url`, else
/// 127.0.0.1:6379. The password may come from the URL, `REDIS_PASSWORD`, or a password file;
/// a password typed into `--url` is blanked out of this process's argv at once, so `ps` does
/// not show it for long (prefer the environment or a file).
struct ConnectionOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Redis URL: redis://[user:pass@]host:port/db, unix:///path.sock?db=N, or redis-sentinel://host:port,.../MASTER/db.", valueName: "url"))
    var url: String?

    @Option(name: .long, help: "Key prefix (default: drover, or DROVER_PREFIX).")
    var prefix: String?

    @Option(name: .long, help: ArgumentHelp("Read the Redis password from this file.", valueName: "file"))
    var passwordFile: String?

    @Option(name: .long, help: "Connect timeout in seconds.")
    var connectTimeout: Double = 1

    /// The one range for `--connect-timeout`.
    static let connectTimeoutOption = SecondsOption(flag: "--connect-timeout", range: 0.001...3600)

    func validate() throws {
        if let problem = Self.connectTimeoutOption.problem(connectTimeout) { throw ValidationError(problem) }
    }

    /// The client options, with the password resolved.
    func clientOptions() throws -> RedisClient.Options {
        let environment = ProcessInfo.processInfo.environment
        let text = url ?? environment["REDIS_URL"] ?? "redis://127.0.0.1:6379/0"
        if url != nil { ArgvScrubber.hidePasswords() }
        var parsed: RedisURL
        do {
            parsed = try RedisURL(parsing: text)
            parsed = try RedisPassword.resolve(parsed, environment: environment, passwordFile: passwordFile)
        } catch {
            throw CLIFailure(status: ExitStatus.usage, message: error.description)
        }
        var options = RedisClient.Options(url: parsed)
        options.connectTimeout = try Self.connectTimeoutOption.duration(connectTimeout)
        return options
    }

    /// The key prefix.
    var resolvedPrefix: String {
        prefix ?? ProcessInfo.processInfo.environment["DROVER_PREFIX"] ?? "drover"
    }

    /// A store connected to Redis.
    func store() throws -> JobStore {
        JobStore(client: RedisClient(options: try clientOptions()), prefix: resolvedPrefix)
    }
}

/// A failure the CLI reports on stderr and turns into an exit status.
struct CLIFailure: Error, CustomStringConvertible {
    var status: Int32
    var message: String
    var description: String { message }

    init(status: Int32, message: String) {
        self.status = status
        self.message = message
    }

    init(_ error: QueueError) {
        switch error.code {
        case .unavailable: status = ExitStatus.unavailable
        case .outcomeUnknown: status = ExitStatus.outcomeUnknown
        case .invalidRequest: status = ExitStatus.usage
        // Wrong credentials are configuration: retrying (or systemd restarting) cannot fix them.
        case _ where error.underlying?.code == .authentication || error.underlying?.code == .database:
            status = ExitStatus.config
        default: status = ExitStatus.failure
        }
        message = error.message
    }
}

/// Runs a command body, reporting failures the way every Drover command does: one line on
/// stderr, and an exit status from `ExitStatus`.
func reportingFailures(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let failure as CLIFailure {
        FileHandle.standardError.write(Data("drover: \(failure.message)\n".utf8))
        throw ExitCode(failure.status)
    } catch let error as QueueError {
        let failure = CLIFailure(error)
        FileHandle.standardError.write(Data("drover: \(failure.message)\n".utf8))
        throw ExitCode(failure.status)
    }
}

/// Prints a JSON value on one line.
func printJSON(_ value: JSONValue) {
    print(value.jsonText)
}
