// The self-pipe trick (https://cr.yp.to/docs/selfpipe.html): a signal handler writes one byte,
// the signal number, to a non-blocking pipe whose read end the master polls. The handler is in
// C because Swift 6 does not check what a signal handler touches; this one touches only
// async-signal-safe calls (getpid, write) and lock-free atomics, saves and restores errno, and
// nothing else. No logging: gunicorn #3441 fixed deadlocks from exactly that.
#define _GNU_SOURCE 1
#include "CDroverShims.h"
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define DROVER_BUSY (-1)

// Read by the handler: the pipe's write end and the process that installed it.
static atomic_int drover_signal_fd = -1;
static atomic_int drover_signal_owner = 0;
// 0 when nothing is installed, DROVER_BUSY while (un)installing, else the live generation.
static atomic_int drover_active = 0;
static int drover_last_generation = 0;
// Written only while drover_active is DROVER_BUSY, so never concurrently.
static sigset_t drover_installed;
static struct sigaction drover_previous[_NSIG];

static void drover_signal_handler(int signo) {
    int saved_errno = errno;
    int fd = atomic_load(&drover_signal_fd);
    // A forked child runs this only in the instant before drover_fork resets it, and then
    // the byte would land in the master's pipe as if the master had been signalled.
    if (fd >= 0 && getpid() == atomic_load(&drover_signal_owner)) {
        unsigned char byte = (unsigned char)signo;
        // EAGAIN means the pipe already holds 64 KiB of unread signals: dropping one is fine,
        // the loop wakes anyway. Nothing else can be done here.
        ssize_t ignored = write(fd, &byte, 1);
        (void)ignored;
    }
    errno = saved_errno;
}

static void drover_restore(int restore_previous) {
    for (int signo = 1; signo < _NSIG; signo++) {
        if (sigismember(&drover_installed, signo) != 1) continue;
        if (restore_previous) {
            sigaction(signo, &drover_previous[signo], NULL);
        } else {
            struct sigaction dfl;
            memset(&dfl, 0, sizeof dfl);
            dfl.sa_handler = SIG_DFL;
            sigemptyset(&dfl.sa_mask);
            sigaction(signo, &dfl, NULL);
        }
    }
    sigemptyset(&drover_installed);
}

int drover_signal_pipe_install(int write_fd, const int *signals, int count) {
    int expected = 0;
    if (!atomic_compare_exchange_strong(&drover_active, &expected, DROVER_BUSY)) {
        errno = EBUSY;
        return -1;
    }
    sigemptyset(&drover_installed);
    atomic_store(&drover_signal_owner, (int)getpid());
    atomic_store(&drover_signal_fd, write_fd);

    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = drover_signal_handler;
    sigemptyset(&action.sa_mask);
    for (int i = 0; i < count; i++) {
        int signo = signals[i];
        if (signo <= 0 || signo >= _NSIG) {
            errno = EINVAL;
            goto fail;
        }
        if (sigismember(&drover_installed, signo) == 1) continue;  // listed twice
        // SA_RESTART keeps the master's blocking reads and writes from failing with EINTR;
        // poll(2) is never restarted (signal(7)), so the loop still wakes. SA_NOCLDSTOP: the
        // master reaps exits only, a stopped child is not news.
        action.sa_flags = SA_RESTART | (signo == SIGCHLD ? SA_NOCLDSTOP : 0);
        if (sigaction(signo, &action, &drover_previous[signo]) != 0) goto fail;
        sigaddset(&drover_installed, signo);
    }
    int generation = ++drover_last_generation;
    atomic_store(&drover_active, generation);
    return generation;

fail:;
    int saved_errno = errno;
    drover_restore(1);
    atomic_store(&drover_signal_fd, -1);
    atomic_store(&drover_active, 0);
    errno = saved_errno;
    return -1;
}

void drover_signal_pipe_uninstall(int generation, int restore_previous) {
    int expected = generation;
    if (generation <= 0 || !atomic_compare_exchange_strong(&drover_active, &expected, DROVER_BUSY)) {
        return;
    }
    // Handlers first, then the fd: the caller closes the pipe next, and a handler must never
    // write to a descriptor number that may already belong to something else.
    drover_restore(restore_previous);
    atomic_store(&drover_signal_fd, -1);
    atomic_store(&drover_active, 0);
}

int drover_unblock_all_signals(void) {
    sigset_t empty;
    sigemptyset(&empty);
    int rc = pthread_sigmask(SIG_SETMASK, &empty, NULL);
    if (rc != 0) {
        errno = rc;
        return -1;
    }
    return 0;
}

pid_t drover_fork(void) {
    // Block everything across fork(): a signal the master sends a new child before the child
    // has reset its handlers then stays pending and takes its default action once unblocked,
    // instead of running the master's handler in the child.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    // Buffered stdio would otherwise be flushed twice, once by each process (docs/platform.md).
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        // The child: only async-signal-safe work until the Swift side takes over.
        drover_restore(0);
        atomic_store(&drover_signal_fd, -1);
        atomic_store(&drover_active, 0);
        drover_unblock_all_signals();
        return 0;
    }
    int saved_errno = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = saved_errno;
    return pid;
}
