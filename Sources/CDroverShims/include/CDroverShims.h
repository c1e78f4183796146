#ifndef CDROVER_SHIMS_H
#define CDROVER_SHIMS_H
// What Swift cannot import from Glibc. Every symbol is prefixed drover_.
int drover_shims_version(void);
#endif
