// A forked child leaves the thread fork() returned on: see drover_continue_on_new_thread in
// CDroverShims.h for why.
#include "CDroverShims.h"
#include <errno.h>
#include <pthread.h>
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
    pthread_t thread;
    int rc = pthread_create(&thread, NULL, drover_thread_main, &start);
    if (rc != 0) {
        errno = rc;
        return -1;
    }
    // No Swift code runs on this thread again. The body ends the process with _exit, so the
    // join never returns; if it did, the process would be in no state to go on.
    pthread_join(thread, NULL);
    _exit(70);
}
