// An exec job's program, started under a reaper process of its own, so that nothing the program
// starts outlives its run (README, "Exec jobs"). Everything here that runs in a forked child
// uses only async-signal-safe system calls: the worker that forks has other threads (fork(2),
// signal-safety(7)), so no malloc, no stdio, no locks.
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "CDroverShims.h"

// getdents64(2)'s record; glibc declares no wrapper for it before 2.30.
struct drover_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

// The parent pid of the process named `name` (decimal), from /proc/NAME/stat (proc(5): the
// fourth field, after the state; the command in parentheses may hold spaces and ')'), or -1
// for a zombie, a process gone, or a stat that cannot be read.
static pid_t live_parent_of(const char *name) {
    char path[64] = "/proc/";
    size_t length = 6;
    for (const char *c = name; *c != '\0' && length < sizeof path - 6; c++) path[length++] = *c;
    memcpy(path + length, "/stat", 6);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    char stat[512];
    ssize_t got = read(fd, stat, sizeof stat - 1);
    close(fd);
    if (got <= 0) return -1;
    stat[got] = '\0';
    char *close_paren = NULL;
    for (ssize_t i = got - 1; i >= 0; i--) {
        if (stat[i] == ')') { close_paren = stat + i; break; }
    }
    if (close_paren == NULL || close_paren[1] != ' ' || close_paren[2] == '\0') return -1;
    char state = close_paren[2];
    if (state == 'Z' || state == 'X' || state == 'x') return -1;
    const char *digits = close_paren + 3;
    while (*digits == ' ') digits++;
    pid_t parent = 0;
    if (*digits < '0' || *digits > '9') return -1;
    while (*digits >= '0' && *digits <= '9') parent = parent * 10 + (*digits++ - '0');
    return parent;
}

int drover_live_children(pid_t parent, pid_t *out, int capacity) {
    int dir = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) return -1;
    int count = 0;
    char buffer[8192];
    for (;;) {
        long got = syscall(SYS_getdents64, dir, buffer, sizeof buffer);
        if (got < 0) { int saved = errno; close(dir); errno = saved; return -1; }
        if (got == 0) break;
        for (long offset = 0; offset < got;) {
            struct drover_dirent64 *entry = (struct drover_dirent64 *)(buffer + offset);
            offset += entry->d_reclen;
            const char *name = entry->d_name;
            if (name[0] < '1' || name[0] > '9') continue;
            if (live_parent_of(name) != parent) continue;
            pid_t pid = 0;
            for (const char *c = name; *c >= '0' && *c <= '9'; c++) pid = pid * 10 + (*c - '0');
            if (count < capacity) out[count] = pid;
            count++;
        }
    }
    close(dir);
    return count;
}

// Closes every descriptor from `from` up: close_range(2) (Linux 5.9), else one by one.
static void close_from(int from) {
#ifdef SYS_close_range
    if (syscall(SYS_close_range, (unsigned)from, ~0U, 0) == 0) return;
#endif
    struct rlimit limit;
    long highest = 65536;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < (1 << 20)) {
        highest = (long)limit.rlim_cur;
    }
    for (long fd = from; fd < highest; fd++) close((int)fd);
}

// Every signal back to its default action (the worker's handlers are not the program's).
static void default_signals(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = SIG_DFL;
    sigemptyset(&action.sa_mask);
    for (int signo = 1; signo < NSIG; signo++) {
        if (signo != SIGKILL && signo != SIGSTOP) sigaction(signo, &action, NULL);
    }
}

static void report(int fd, char kind, int value) {
    char message[1 + sizeof(int)];
    message[0] = kind;
    memcpy(message + 1, &value, sizeof value);
    // One write of at most PIPE_BUF bytes is atomic (pipe(7)).
    while (write(fd, message, sizeof message) < 0 && errno == EINTR) {}
}

// SIGKILLs every descendant of this process (a subreaper: each orphan among them comes back
// to it as a child) and reaps them, until it has no child left.
static void kill_descendants(void) {
    pid_t self = getpid();
    sigset_t child_signal;
    sigemptyset(&child_signal);
    sigaddset(&child_signal, SIGCHLD);
    for (;;) {
        // No child at all (the common end of a run) means no descendant: every one whose
        // parent died is this subreaper's child. Then /proc is not read.
        int status;
        pid_t reaped;
        int any = 0;
        while ((reaped = waitpid(-1, &status, WNOHANG)) > 0) any = 1;
        if (reaped < 0 && errno == ECHILD) return;
        pid_t found[256];
        int count = drover_live_children(self, found, 256);
        for (int i = 0; i < count && i < 256; i++) kill(found[i], SIGKILL);
        if (!any) {
            // A killed child takes a moment to die; its SIGCHLD (blocked) ends the wait.
            struct timespec wait = {0, 50 * 1000 * 1000};
            sigtimedwait(&child_signal, NULL, &wait);
        }
    }
}

struct drover_program {
    const char *path;
    char *const *argv;
    char *const *envp;
    int in, out, err;
};

static void __attribute__((noreturn)) exec_program(const struct drover_program *program, int report_fd, pid_t reaper) {
    setpgid(0, 0);
    // Dies with its reaper, whatever kills that (prctl(2): PR_SET_PDEATHSIG).
    prctl(PR_SET_PDEATHSIG, (unsigned long)SIGKILL, 0UL, 0UL, 0UL);
    if (getppid() != reaper) _exit(127);
    if (program->in >= 0) dup2(program->in, 0);
    if (program->out >= 0) dup2(program->out, 1);
    if (program->err >= 0) dup2(program->err, 2);
    if (report_fd != 3) dup2(report_fd, 3);
    fcntl(3, F_SETFD, FD_CLOEXEC);
    close_from(4);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execve(program->path, program->argv, program->envp);
    report(3, 'E', errno);
    _exit(127);
}

// The reaper: a subreaper that starts the program, waits for it, then kills whatever the
// program left behind, and exits as the program did. When its worker dies first (PDEATHSIG
// TERM, or a parent that changed), it kills everything and exits.
static void __attribute__((noreturn)) run_reaper(const struct drover_program *program, int report_fd, pid_t worker) {
    // Every signal is blocked (the worker blocked them across fork) and stays so here: the
    // reaper waits for SIGCHLD and TERM with sigtimedwait, and a TERM or INT meant for the
    // worker's process group does not end it.
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    prctl(PR_SET_DUMPABLE, 0UL, 0UL, 0UL, 0UL);
    prctl(PR_SET_CHILD_SUBREAPER, 1UL, 0UL, 0UL, 0UL);
    prctl(PR_SET_PDEATHSIG, (unsigned long)SIGTERM, 0UL, 0UL, 0UL);
    pid_t self = getpid();
    pid_t child = fork();
    if (child == 0) exec_program(program, report_fd, self);
    if (child < 0) {
        report(report_fd, 'E', errno);
        _exit(127);
    }
    setpgid(child, child);  // both sides, so a kill of the group cannot race the child's own
    report(report_fd, 'P', child);
    close_from(3);  // the report pipe and the program's pipes: their readers wait for EOF
    // Nor does the reaper hold the worker's own output open (a reader of the worker's log pipe
    // waits for its end of file).
    int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null_fd >= 0) {
        dup2(null_fd, 0);
        dup2(null_fd, 1);
        dup2(null_fd, 2);
        if (null_fd > 2) close(null_fd);
    }

    sigset_t wake;
    sigemptyset(&wake);
    sigaddset(&wake, SIGCHLD);
    sigaddset(&wake, SIGTERM);
    int status = 0;
    int ended = 0;
    for (;;) {
        int reaped_status;
        pid_t reaped;
        while ((reaped = waitpid(-1, &reaped_status, WNOHANG)) > 0) {
            if (reaped == child) { status = reaped_status; ended = 1; }
        }
        if (ended || getppid() != worker) break;
        struct timespec second = {1, 0};
        sigtimedwait(&wake, NULL, &second);
    }
    kill_descendants();
    if (!ended) _exit(137);
    if (WIFEXITED(status)) _exit(WEXITSTATUS(status));
    // Ended by a signal: end the same way, so the worker's wait status is the program's.
    int signo = WIFSIGNALED(status) ? WTERMSIG(status) : SIGKILL;
    sigset_t just;
    sigemptyset(&just);
    sigaddset(&just, signo);
    kill(self, signo);
    sigprocmask(SIG_UNBLOCK, &just, NULL);
    _exit(128 + signo);
}

pid_t drover_spawn_contained(const char *path, char *const argv[], char *const envp[],
                             int in, int out, int err, pid_t *program_pid) {
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) < 0) return -1;
    struct drover_program program = {path, argv, envp, in, out, err};
    pid_t worker = getpid();
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    pid_t reaper = fork();
    if (reaper == 0) {
        default_signals();
        close(pipe_fds[0]);
        run_reaper(&program, pipe_fds[1], worker);
    }
    int fork_error = errno;
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    close(pipe_fds[1]);
    if (reaper < 0) {
        close(pipe_fds[0]);
        errno = fork_error;
        return -1;
    }
    // Until end of file: the reaper closes its end once the program is started, the program
    // its end at execve (close-on-exec) or after reporting why execve failed.
    char messages[64];
    size_t got = 0;
    for (;;) {
        ssize_t n = read(pipe_fds[0], messages + got, sizeof messages - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += (size_t)n;
        if (got == sizeof messages) break;
    }
    close(pipe_fds[0]);
    pid_t started = -1;
    int exec_error = 0;
    for (size_t offset = 0; offset + 1 + sizeof(int) <= got; offset += 1 + sizeof(int)) {
        int value;
        memcpy(&value, messages + offset + 1, sizeof value);
        if (messages[offset] == 'P') started = value;
        if (messages[offset] == 'E') exec_error = value;
    }
    if (exec_error != 0 || started <= 0) {
        int status;
        while (waitpid(reaper, &status, 0) < 0 && errno == EINTR) {}
        errno = exec_error != 0 ? exec_error : ECHILD;
        return -1;
    }
    *program_pid = started;
    return reaper;
}
