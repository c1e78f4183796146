// libsystemd's notify API (sd_notify(3)); sd_notifyf is variadic, so Swift builds the string itself.
#include <systemd/sd-daemon.h>
