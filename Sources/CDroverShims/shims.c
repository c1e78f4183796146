#include "CDroverShims.h"
int drover_shims_version(void) { return 1; }
