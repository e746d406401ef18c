/* A transport file that reaches into the engine: the rule it breaks is
 * "transport may not use engine". */
#include "engine/engine.h"
