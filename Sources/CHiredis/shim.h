// hiredis 0.14 (Debian libhiredis-dev). Only DroverRedis imports this module.
#include <hiredis/hiredis.h>
