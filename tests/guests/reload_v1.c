/* reload_v1.c -- the first version of the hot-reload guest. */
#define REVISION "1"
#include "reload_guest.h"

MANIFEST("reload_v1.manifest.json");
