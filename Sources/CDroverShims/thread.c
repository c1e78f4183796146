// A forked child leaves the thread fork() returned on: see drover_continue_on_new_thread in
// CDroverShims.h for why.
#include "CDroverShims.h"
#include <errno.h>
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

struct drover_thread_start {
    void (*body)(void *);
    void *context;
};

static void *drover_thread_main(void *raw) {
    struct drover_thread_start *start = raw;
    start->body(start->context);
    _exit(70);  // EX_SOFTWARE: the body must end the process itself
}

int drover_continue_on_new_thread(void (*body)(void *), void *context) {
    // On the stack of a call that never returns once the thread runs, so it outlives the thread's
    // read of it.
    struct drover_thread_start start = { body, context };
    // The role's job handlers run on this thread, so give it at least the 8 MiB a main thread
    // gets by default: with `ulimit -s unlimited` glibc would give a new thread only 2 MiB, and a
    // handler that runs under `drover work` could overflow when supervised.
    size_t size = 8u << 20;
    struct rlimit limit;
    if (getrlimit(RLIMIT_STACK, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur > size) {
        size = (size_t)limit.rlim_cur;
    }
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setstacksize(&attributes, size);
    pthread_t thread;
    int rc = pthread_create(&thread, &attributes, drover_thread_main, &start);
    pthread_attr_destroy(&attributes);
    if (rc != 0) {
        errno = rc;
        return -1;
    }
    // No Swift code runs on this thread again. It must stay alive: it set PR_SET_PDEATHSIG, and
    // the kernel keeps that per thread, so the child dies with its master only while this thread
    // lives. The body ends the process with _exit, so the join never returns.
    pthread_join(thread, NULL);
    _exit(70);
}
