import CDroverShims
import Glibc

/// Starts a program with `posix_spawn`, with a clean signal state.
///
/// Why not Foundation's `Process`: it spawns from a Dispatch thread whose signal mask blocks
/// everything, and the child inherits that mask, so a spawned `redis-server` or exec job never
/// sees SIGTERM (seen here: servers that outlived their tests). `posix_spawn` with
/// `POSIX_SPAWN_SETSIGMASK` (empty mask) and `POSIX_SPAWN_SETSIGDEF` (every signal back to its
/// default action) gives the program the state a shell would. It is also safe from a process that
/// has threads, which a bare `fork()` is not.
public struct Spawn: Sendable {
    /// The program's path.
    public var path: String
    /// argv, including argv[0]. Never run through a shell.
    public var arguments: [String]
    /// The environment, or nil to inherit this process's.
    public var environment: [String: String]?
    /// Put the program in a new process group (its pgid is its pid), so one `killpg` stops it and
    /// everything it started.
    public var newProcessGroup = false
    /// Where the program's standard input, output and error come from: `nil` inherits ours.
    public var standardInput: FileDescriptor?
    public var standardOutput: FileDescriptor?
    public var standardError: FileDescriptor?

    /// Describes a program to start.
    public init(path: String, arguments: [String], environment: [String: String]? = nil) {
        self.path = path
        self.arguments = arguments
        self.environment = environment
    }

    /// Starts the program.
    /// - Returns: its process id.
    /// - Throws: `SystemError` from `posix_spawn` (e.g. `ENOENT` for a missing program).
    public func run() throws(SystemError) -> ProcessID {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &all)
        var flags = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        if newProcessGroup {
            flags |= Int32(POSIX_SPAWN_SETPGROUP)
            posix_spawnattr_setpgroup(&attributes, 0)
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // dup2 clears close-on-exec on the target, so CLOEXEC pipe ends can be handed over.
        if let fd = standardInput { posix_spawn_file_actions_adddup2(&actions, fd.rawValue, 0) }
        if let fd = standardOutput { posix_spawn_file_actions_adddup2(&actions, fd.rawValue, 1) }
        if let fd = standardError { posix_spawn_file_actions_adddup2(&actions, fd.rawValue, 2) }
        // Nothing else crosses over: not a worker's pipe to its master (a program holding it
        // would hide the worker's death from the master), not a descriptor some library opened
        // without close-on-exec.
        _ = drover_spawn_close_from(&actions, 3)

        let argv = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let envStrings: [String] = environment.map { $0.map { "\($0.key)=\($0.value)" } } ?? []
        let envp = envStrings.map { strdup($0) } + [nil]
        defer { for pointer in envp { free(pointer) } }

        var pid: pid_t = 0
        let result: Int32 = argv.withUnsafeBufferPointer { args in
            envp.withUnsafeBufferPointer { env in
                let environmentPointer = environment == nil ? environ : UnsafeMutablePointer(mutating: env.baseAddress!)
                return posix_spawn(&pid, path, &actions, &attributes,
                                   UnsafeMutablePointer(mutating: args.baseAddress!), environmentPointer)
            }
        }
        guard result == 0 else { throw SystemError(code: SystemError.Code(rawValue: result), syscall: "posix_spawn \(path)") }
        return ProcessID(pid)
    }
}
