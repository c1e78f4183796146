import DroverSystem
import Foundation

/// Delivers signals to a worker process's code on a small thread of its own: a C handler writes
/// the signal number to a pipe (DroverSystem's `SignalPipe`), and this thread polls the pipe.
///
/// Why not a Dispatch signal source: in a worker idle in a blocking Redis read, a `TERM` was
/// caught but the source's handler never ran (seen here with `drover work` and the benchmark's
/// workers), so the worker never stopped. The self-pipe needs nothing but `poll`.
public final class SignalWatcher: @unchecked Sendable {
    private let pipe: SignalPipe

    /// Installs handlers for `signals` and calls `handler` for each one received, in order, on the
    /// watcher's thread.
    /// - Throws: `SystemError` when the handlers cannot be installed.
    public init(signals: [DroverSystem.Signal], handler: @escaping @Sendable (DroverSystem.Signal) -> Void) throws(SystemError) {
        pipe = try SignalPipe(signals: signals)
        let pipe = self.pipe
        let thread = Thread {
            while true {
                var poller = Poller()
                poller.add(pipe.readFD)
                guard (try? poller.poll(timeoutMilliseconds: nil)) != nil else { return }
                for signal in (try? pipe.drain()) ?? [] { handler(signal) }
            }
        }
        thread.name = "drover-signals"
        thread.start()
    }
}
