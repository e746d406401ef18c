/* Compiled with the transport layer's include path: the engine's header is
 * not on it, so this must not compile (test layering_enforced_by_build). */
#include "engine/engine.h"
