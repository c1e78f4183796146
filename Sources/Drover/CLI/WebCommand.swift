import ArgumentParser
import DroverCore
import DroverRedis
import DroverSystem
import DroverWeb
import Logging

/// `drover web`: the HTTP API, the dashboard and `/metrics` in the foreground (issue 7). The
/// supervised form is the http child that `drover worker` forks when the config has `http:`.
struct WebCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "web",
        abstract: "Serve the HTTP API, the dashboard and Prometheus metrics.",
        discussion: """
        Settings come from the config's http: section (listen, token_file, open_reads); the flags \
        override it. Without a config it listens on 127.0.0.1:9181 (loopback: nothing is exposed \
        by default). Without a token file every request that changes state is refused, and so is \
        every read unless open_reads is true. TERM or INT: stop accepting, let requests in \
        flight finish (at most 5 s), exit 0. Exit status 78: the config or the token file is \
        unusable; 1: the server failed (the address is in use).

        Examples:
          drover web --config /etc/drover/drover.yml
          drover web --listen 0.0.0.0:9181 --token-file /etc/drover/api.token
        """
    )

    @Option(help: ArgumentHelp("Address to listen on, HOST:PORT or [V6]:PORT (port 0: any free port).", valueName: "address"))
    var listen: String?

    @Option(help: ArgumentHelp("File holding the bearer token that writes (and reads, unless open) need.", valueName: "file"))
    var tokenFile: String?

    @Flag(help: "Let GET requests through without the token (a dashboard on a trusted network).")
    var openReads = false

    @OptionGroup var configuration: ConfigOptions

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func run() throws {
        try reportingFailures {
            if let listen, HTTPConfig(listen: listen).host.isEmpty {
                throw CLIFailure(status: ExitStatus.usage, message: "--listen must be HOST:PORT or [V6]:PORT, not \"\(listen)\"")
            }
            let settings = try webSettings()
            let level = Logger.Level(rawValue: logLevel) ?? .info
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
            var logger = Logger(label: "drover.web")
            logger[metadataKey: "pid"] = "\(Posix.getpid())"
            if settings.token == nil {
                logger.warning("no token file: every state-changing request is refused")
            }
            let status = WebRole.serve(settings, logger: logger)
            if status != 0 { throw ExitCode(status) }
        }
    }

    /// The config's settings with the flags applied; any problem is a config problem (78).
    private func webSettings() throws -> WebSettings {
        var (loaded, redis) = try configuration.load()
        var http = loaded.http ?? HTTPConfig()
        if let listen { http.listen = listen }
        if let tokenFile { http.tokenFile = tokenFile }
        if openReads { http.openReads = true }
        loaded.http = http
        do {
            return try WebSettings.from(loaded, redis: redis)
        } catch {
            throw CLIFailure(status: ExitStatus.config, message: error.message)
        }
    }
}
