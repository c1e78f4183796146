// Text for an errno value, for SystemError.description.
#define _GNU_SOURCE 1
#include "CDroverShims.h"
#include <string.h>

const char *drover_strerror(int code) {
    // strerror(3) may use a static buffer (MT-Unsafe in its man page); strerrordesc_np (glibc
    // 2.32) returns a constant string, so SystemError.description is safe from any thread.
    return strerrordesc_np(code);
}
