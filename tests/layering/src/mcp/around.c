/* A relative path around the include folders. */
#include "../engine/engine.h"
