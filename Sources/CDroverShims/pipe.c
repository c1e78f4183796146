// pipe2(2) is a GNU extension, hidden from Swift's Glibc module (no _GNU_SOURCE there).
#define _GNU_SOURCE 1
#include "CDroverShims.h"
#include <fcntl.h>
#include <unistd.h>

int drover_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}
