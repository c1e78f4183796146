// The wait(2) status macros, as functions Swift can call.
#include "CDroverShims.h"
#include <sys/wait.h>

int drover_wifexited(int status) { return WIFEXITED(status); }
int drover_wexitstatus(int status) { return WEXITSTATUS(status); }
int drover_wifsignaled(int status) { return WIFSIGNALED(status); }
int drover_wtermsig(int status) { return WTERMSIG(status); }
int drover_wcoredump(int status) { return WCOREDUMP(status); }
int drover_wifstopped(int status) { return WIFSTOPPED(status); }
int drover_wstopsig(int status) { return WSTOPSIG(status); }
int drover_wifcontinued(int status) { return WIFCONTINUED(status); }
