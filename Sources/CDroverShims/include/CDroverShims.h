#ifndef CDROVER_SHIMS_H
#define CDROVER_SHIMS_H
// What Swift cannot import from Glibc: the wait-status macros, prctl (variadic), and
// everything that must run inside a signal handler or between fork() and the child's first
// Swift line. Every symbol is prefixed drover_. Only DroverSystem calls these.

#include <sys/types.h>

// MARK: - Wait status (wait(2) macros; Swift cannot import function-like macros)
int drover_wifexited(int status);
int drover_wexitstatus(int status);
int drover_wifsignaled(int status);
int drover_wtermsig(int status);
int drover_wcoredump(int status);
int drover_wifstopped(int status);
int drover_wstopsig(int status);
int drover_wifcontinued(int status);

// MARK: - prctl(2) (variadic, so not callable from Swift)
/// PR_SET_PDEATHSIG: 0 on success, -1 with errno.
int drover_set_pdeathsig(int signo);
/// PR_SET_CHILD_SUBREAPER: 0 on success, -1 with errno.
int drover_set_child_subreaper(int enabled);
/// PR_SET_DUMPABLE: 0 on success, -1 with errno.
int drover_set_dumpable(int enabled);
/// PR_GET_DUMPABLE: 1 or 0 (2 after a setuid exec), -1 with errno.
int drover_get_dumpable(void);

// MARK: - pipe2(2) (a GNU extension Swift's Glibc module does not declare)
/// pipe2(fds, O_CLOEXEC): 0 on success, -1 with errno.
int drover_pipe_cloexec(int fds[2]);

// MARK: - ppoll(2) (a GNU extension Swift's Glibc module does not declare)
struct pollfd;
/// poll(2) with a timeout in nanoseconds (negative: none), no signal mask change. poll(2) takes
/// whole milliseconds, so a wait for 0.2 ms would sleep 1 ms: the scheduler's due times and the
/// supervisor's hard limits need better. Returns as ppoll(2) does.
int drover_ppoll_ns(struct pollfd *fds, unsigned long count, long long timeout_ns);

// MARK: - posix_spawn (a GNU extension Swift's Glibc module does not declare)
#include <spawn.h>
/// posix_spawn_file_actions_addclosefrom_np(actions, from): close every descriptor >= from in
/// the spawned program. Returns as the glibc call does.
int drover_spawn_close_from(posix_spawn_file_actions_t *actions, int from);

// MARK: - pidfd_open(2) (no glibc wrapper before 2.36's headers; called through syscall)
/// A descriptor that becomes readable when process `pid` exits, or -1 with errno.
int drover_pidfd_open(int pid);

// MARK: - Contained exec programs (contained_spawn.c)
/// Starts `path` under a reaper process (a child subreaper with PR_SET_PDEATHSIG TERM) that
/// forks the program into a process group of its own with PR_SET_PDEATHSIG KILL, its stdin,
/// stdout and stderr from `in`, `out`, `err` (-1: inherited), no other descriptor, default
/// signal actions and an empty mask. When the program ends, or the caller dies, the reaper
/// kills every descendant left and exits: with the program's exit status or signal.
/// Returns the reaper's pid and sets `*program_pid` (also the program's process group id), or
/// returns -1 with errno (execve's, e.g. ENOENT, when the program could not be started).
pid_t drover_spawn_contained(const char *path, char *const argv[], char *const envp[],
                             int in, int out, int err, pid_t *program_pid);
/// Writes the pids of the live (not zombie) children of `parent` into `out`, at most
/// `capacity`, from /proc; returns how many there are (possibly more than capacity), or -1
/// with errno. Async-signal-safe.
int drover_live_children(pid_t parent, pid_t *out, int capacity);

// MARK: - errno text
/// Thread-safe description of an errno value, or NULL when glibc knows none.
const char *drover_strerror(int code);

// MARK: - Self-pipe signal handling
/// Installs the byte-writing handler for `count` signals. Returns a generation token (> 0)
/// for drover_signal_pipe_uninstall, or -1 with errno (EBUSY when one is already installed).
int drover_signal_pipe_install(int write_fd, const int *signals, int count);
/// Undoes the install with that token: the previous dispositions when restore_previous is
/// non-zero, SIG_DFL otherwise. A stale token (another install, or a forked child) does nothing.
void drover_signal_pipe_uninstall(int generation, int restore_previous);
/// Sets the calling thread's signal mask to empty.
int drover_unblock_all_signals(void);

// MARK: - fork
/// fflush(NULL), then fork() with every signal blocked. In the child, the self-pipe handlers are
/// reset to SIG_DFL and the mask is emptied before returning 0; in the parent the old mask is
/// restored. Returns as fork(2) does.
pid_t drover_fork(void);

/// Runs body(context) on a new thread and parks the calling thread in pthread_join for good; the
/// body must end the process (_exit). Returns only when the thread cannot be made: -1 with errno.
///
/// For a forked child: the Swift runtime's `swift_once` lock (lazy globals, some metadata caches)
/// and `Synchronization.Mutex` store the owner's thread id in the lock word, and cache that id in
/// thread-local storage (ulock_get_tid, _swift_stdlib_gettid). The thread fork() returns on keeps
/// the master's cached id, so a lock it holds names the master's thread: another thread of the
/// child that waits for it (FUTEX_LOCK_PI) is never woken, and the unlock fails with EPERM and
/// retries forever. A new thread has empty caches.
int drover_continue_on_new_thread(void (*body)(void *), void *context);

#endif
