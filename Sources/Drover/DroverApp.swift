@_exported import DroverCore
@_exported import DroverQueue
@_exported import DroverRedis
@_exported import DroverWorker
import Synchronization

/// Turns a list of handlers into the full `drover` command, so an app builds its own worker
/// binary in one line:
///
/// ```swift
/// import Drover
/// DroverApp.main(handlers: [AnyJobHandler(SendWelcome())])
/// ```
/// The built-in handlers (`builtin.*`) are always included.
public enum DroverApp {
    private static let registered = Mutex<HandlerRegistry>(HandlerRegistry(BuiltinHandlers.all))

    /// The handlers this binary serves.
    public static var handlers: HandlerRegistry { registered.withLock { $0 } }

    /// Registers `handlers` and runs the command line. Never returns.
    public static func main(handlers: [AnyJobHandler] = []) -> Never {
        ProcessHardening.apply()
        registered.withLock { registry in
            for handler in handlers { registry.register(handler) }
        }
        DroverCommand.main()
        exit(0)
    }
}

#if canImport(Glibc)
import Glibc
#endif
