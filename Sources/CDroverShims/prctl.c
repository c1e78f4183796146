// prctl(2) is variadic, which Swift cannot call; these fix its arguments.
#define _GNU_SOURCE 1
#include "CDroverShims.h"
#include <sys/prctl.h>

int drover_set_pdeathsig(int signo) {
    return prctl(PR_SET_PDEATHSIG, (unsigned long)signo, 0UL, 0UL, 0UL);
}

int drover_set_child_subreaper(int enabled) {
    return prctl(PR_SET_CHILD_SUBREAPER, (unsigned long)(enabled ? 1 : 0), 0UL, 0UL, 0UL);
}

int drover_set_dumpable(int enabled) {
    return prctl(PR_SET_DUMPABLE, (unsigned long)(enabled ? 1 : 0), 0UL, 0UL, 0UL);
}

int drover_get_dumpable(void) {
    return prctl(PR_GET_DUMPABLE, 0UL, 0UL, 0UL, 0UL);
}
