import CDroverShims
import Glibc

/// Starts an exec job's program so that nothing it starts outlives its run, whatever kills what.
///
/// Why a reaper process per run, of the three ways (issue 15):
/// - `PR_SET_PDEATHSIG` on the program alone makes it die with its worker, but not what it
///   started: the flag is cleared in every child it forks, and a grandchild that calls
///   `setsid()` or `setpgid()` leaves the program's process group too.
/// - a cgroup per run catches everything, but only where systemd delegates a subtree to the
///   service; `drover work` in a terminal, a container, or a unit without `Delegate=` has none.
/// - `PR_SET_CHILD_SUBREAPER` (prctl(2)) brings every orphan of the program back to the
///   subreaper instead of init, so a sweep of the subreaper's children finds all of them.
///   It needs a subreaper that outlives the program and only ever holds one run: the worker is
///   not that (the hard limit SIGKILLs it, and the master, the next subreaper up, dies too on a
///   SIGKILL of the master), so each run gets a small reaper process (C, `contained_spawn.c`)
///   between the worker and the program. The reaper is a subreaper with `PR_SET_PDEATHSIG`
///   TERM; the program has `PR_SET_PDEATHSIG` KILL. When the program exits (end, cancel, soft
///   limit) or the worker dies (master SIGKILLed, worker SIGKILLed), the reaper SIGKILLs every
///   descendant left and exits. The reaper stays in the worker's process group, so a hard
///   limit's KILL to that group ends it at once; then the program dies with it, and its orphans
///   go to the master, a subreaper that kills the processes it adopted (``Posix/liveChildren(of:)``).
public struct ContainedSpawn: Sendable {
    /// The processes of one started program.
    public struct Started: Sendable {
        /// The reaper: wait for this one; its wait status is the program's, and it exits only
        /// once every descendant of the program is gone.
        public var reaper: ProcessID
        /// The program, also its process group's id.
        public var program: ProcessID
    }

    /// The program's path (not searched in `PATH`).
    public var path: String
    /// argv, including argv[0]. Never run through a shell.
    public var arguments: [String]
    /// The program's whole environment.
    public var environment: [String: String]
    /// The program's stdin, stdout and stderr.
    public var standardInput: FileDescriptor
    public var standardOutput: FileDescriptor
    public var standardError: FileDescriptor

    public init(path: String, arguments: [String], environment: [String: String],
                standardInput: FileDescriptor, standardOutput: FileDescriptor, standardError: FileDescriptor) {
        self.path = path
        self.arguments = arguments
        self.environment = environment
        self.standardInput = standardInput
        self.standardOutput = standardOutput
        self.standardError = standardError
    }

    /// Starts the reaper and the program.
    /// - Throws: `SystemError` from fork, or from execve (e.g. `ENOENT` for a missing program).
    public func run() throws(SystemError) -> Started {
        let argv = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in envp { free(pointer) } }
        var program: pid_t = 0
        let reaper = argv.withUnsafeBufferPointer { args in
            envp.withUnsafeBufferPointer { env in
                drover_spawn_contained(path, args.baseAddress!, env.baseAddress!, standardInput.rawValue,
                                       standardOutput.rawValue, standardError.rawValue, &program)
            }
        }
        guard reaper > 0 else { throw SystemError(code: SystemError.Code(rawValue: errno), syscall: "exec \(path)") }
        return Started(reaper: ProcessID(reaper), program: ProcessID(program))
    }
}

extension Posix {
    /// The live children of `parent` (zombies left out), from /proc: for a subreaper, the
    /// orphans it adopted.
    public static func liveChildren(of parent: ProcessID) -> [ProcessID] {
        var capacity = 64
        while true {
            var found = [pid_t](repeating: 0, count: capacity)
            let count = Int(drover_live_children(parent.rawValue, &found, Int32(capacity)))
            if count < 0 { return [] }
            if count <= capacity { return found[..<count].map { ProcessID($0) } }
            capacity = count + 16
        }
    }
}
