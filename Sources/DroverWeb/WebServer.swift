import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// Runs the HTTP side: a Hummingbird application over `WebAPI`'s router.
public final class WebServer: Sendable {
    /// The settings.
    public let settings: WebSettings
    /// The routes and their Redis threads.
    public let api: WebAPI
    /// The running group, so `stop()` can shut it down gracefully; `stopped` remembers a stop
    /// that came before the group existed.
    private let state = Mutex<(group: ServiceGroup?, stopped: Bool)>((nil, false))

    /// Creates a server; nothing listens until `run`.
    public init(settings: WebSettings) {
        self.settings = settings
        api = WebAPI(settings: settings)
    }

    /// Listens and serves until `stop()` (or until the task running it is cancelled).
    ///
    /// It installs no signal handlers: the caller owns signals (`drover web` and the http child
    /// poll a self-pipe on their main thread and call `stop()`).
    /// - Parameters:
    ///   - logger: the server's logger.
    ///   - onListening: called with the bound port once the server accepts connections.
    /// - Throws: what the server throws, e.g. when the address is in use.
    public func run(logger: Logger = Logger(label: "drover.web"),
                    onListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let settings = settings
        // Slow or idle clients cannot hold the server (issue 15, item 8): a connection without a
        // complete request head for `headerTimeout` is closed (Hummingbird's idle timeout: NIO's
        // decoder reports nothing until a head is complete, so this covers headers that trickle
        // in and a kept-alive connection left idle alike), a body gets `bodyTimeout` from its
        // head to its end, and at most `maxConnections` are served at once (Hummingbird stops
        // accepting at the cap; the systemd units raise LimitNOFILE= above it).
        let bodyTimeout = TimeAmount(settings.bodyTimeout)
        let http1 = HTTP1Channel.Configuration(additionalChannelHandlers: [BodyDeadlineHandler(timeout: bodyTimeout)],
                                               idleTimeout: TimeAmount(settings.headerTimeout))
        var configuration = ApplicationConfiguration(address: .hostname(settings.host, port: settings.port), serverName: "drover")
        configuration.availableConnectionsDelegate = MaximumAvailableConnections(max(1, settings.maxConnections), logger: logger)
        let app = Application(
            router: api.router(),
            server: .http1(configuration: http1),
            configuration: configuration,
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? settings.port) },
            logger: logger
        )
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let stopEarly = state.withLock { state in
            state.group = group
            return state.stopped
        }
        defer { api.shutdown() }
        if stopEarly { return }
        try await group.run()
    }

    /// Stops the server gracefully: it stops accepting, lets requests in flight finish and
    /// closes idle connections; `run` then returns. Callable from any thread.
    public func stop() {
        let group = state.withLock { state in
            state.stopped = true
            return state.group
        }
        guard let group else { return }
        Task.detached { await group.triggerGracefulShutdown() }
    }
}
