import DroverCore
import DroverRedis
import DroverSupervisor
import DroverSystem
import DroverWeb
import Logging
import Synchronization

/// The HTTP role: the service child the master forks when the config has an `http:` section
/// (issue 7), and the loop `drover web` runs in the foreground. Runs only after the fork.
///
/// The server runs on a detached task (Hummingbird's event loops and the Redis pool's threads
/// start here, in the child, never in the single-threaded master). The main thread stays
/// synchronous, like the scheduler's: it polls a self-pipe for TERM and INT, beats on the
/// master's pipe once a second (``ChildMessage/beat``) so the master sees it alive, and stops
/// the server when the master is gone (`getppid()` changed), when a stop signal arrives, or when
/// the server ends by itself (a port already in use).
enum WebRole {
    /// The role for the supervisor's `services`.
    static func role() -> ChildRole {
        ChildRole(name: "http", reopensLogsOnHUP: true) { context in run(context) }
    }

    static func run(_ context: ChildContext) -> Never {
        // A write to the pipe of a dead master fails with EPIPE instead of killing the child
        // before PDEATHSIG does.
        try? Posix.ignore(.pipe)
        var logger = Logger(label: "drover.web")
        logger[metadataKey: "pid"] = "\(Posix.getpid())"
        let settings: WebSettings
        do {
            settings = try WebSettings.from(context.config, redis: context.redis)
        } catch {
            logger.error("http child: \(error.message)")
            Posix.exit(ExitStatus.config)
        }
        if settings.token == nil {
            logger.warning("http child: no token_file, so every state-changing request is refused")
        }
        let channel = context.channel
        Posix.exit(serve(settings, logger: logger, beat: { channel.send(.beat) }, masterPID: context.masterPID,
                         reopenLogs: context.reopenLogs))
    }

    /// Serves until TERM or INT, the master's death, or the server's own end.
    /// - Parameters:
    ///   - settings: the server's settings.
    ///   - logger: logs the listening address and why it stopped.
    ///   - beat: called once a second (the child's heartbeat), or nil.
    ///   - masterPID: the parent to watch, or nil for `drover web`.
    ///   - reopenLogs: what HUP does (the master passes a log rotation on), or nil: HUP is then
    ///     left alone.
    /// - Returns: the exit status: 0 after a stop signal or the master's death, 1 when the
    ///   server failed (its error is logged).
    static func serve(_ settings: WebSettings, logger: Logger, beat: (() -> Void)? = nil,
                      masterPID: ProcessID? = nil, reopenLogs: (@Sendable () -> Void)? = nil) -> Int32 {
        let signals: SignalPipe
        let finished: Pipe
        do {
            signals = try SignalPipe(signals: [.term, .int] + (reopenLogs == nil ? [] : [.hup]))
            // The server task writes one byte here when it ends, so the loop below wakes at once
            // (a bind failure is reported now, not at the next beat).
            finished = try Pipe(nonBlockingRead: true, nonBlockingWrite: true)
        } catch {
            logger.error("http: cannot install the signal pipe: \(error)")
            return 1
        }
        defer { signals.restoreDefaults() }
        let outcome = ServerOutcome()
        let server = WebServer(settings: settings)
        let done = finished.writeEnd
        Task.detached {
            do {
                try await server.run(logger: logger) { port in
                    logger.info("drover web listening on http://\(Self.hostForURL(settings.host)):\(port)",
                                metadata: ["open_reads": "\(settings.openReads)", "token": "\(settings.token != nil)"])
                }
            } catch {
                outcome.failure.withLock { $0 = "\(error)" }
            }
            try? done.writeAll("x")
        }
        var nextBeat = MonotonicClock.now()
        var status: Int32 = 0
        loop: while true {
            let now = MonotonicClock.now()
            if now >= nextBeat {
                beat?()
                nextBeat = now.advanced(by: .seconds(1))
                if let masterPID, Posix.getppid() != masterPID {
                    logger.warning("http stopping: its master \(masterPID) is gone")
                    break loop
                }
            }
            var poller = Poller()
            poller.add(signals.readFD)
            poller.add(finished.readEnd)
            let ready = (try? poller.poll(until: nextBeat)) ?? []
            for item in ready {
                if item.descriptor == finished.readEnd.rawValue {
                    if let failure = outcome.failure.withLock({ $0 }) {
                        logger.error("http server failed: \(failure)")
                        status = 1
                    }
                    break loop
                }
                if item.descriptor == signals.readFD.rawValue {
                    let caught = (try? signals.drain()) ?? []
                    if caught.contains(.hup), let reopenLogs { reopenLogs() }
                    if let signal = caught.first(where: { $0 == .term || $0 == .int }) {
                        logger.info("http stopping on \(signal)")
                        break loop
                    }
                }
            }
        }
        // A graceful stop: no new connections, requests in flight finish, idle ones close.
        server.stop()
        // Wait (at most 5 s, then exit anyway) for the server's end, so the Redis threads are told
        // to stop before the process exits.
        var poller = Poller()
        poller.add(finished.readEnd)
        _ = try? poller.poll(until: MonotonicClock.now().advanced(by: .seconds(5)))
        return status
    }

    /// `[::1]` for an IPv6 host, so the logged URL can be pasted.
    static func hostForURL(_ host: String) -> String {
        host.contains(":") ? "[\(host)]" : host
    }
}

/// What the server task reports to the main thread.
final class ServerOutcome: Sendable {
    let failure = Mutex<String?>(nil)
}
