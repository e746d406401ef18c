/* The control for transport_probe.c: a door transport may use compiles
 * with the same flags. */
#include "mcp/server.h"
int wc_layering_probe;
