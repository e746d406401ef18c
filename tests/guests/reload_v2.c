/* reload_v2.c -- the second version of the hot-reload guest: one tool more. */
#define REVISION "2"
#include "reload_guest.h"

MANIFEST("reload_v2.manifest.json");
