/* A protocol file that goes past the plugin layer's door. */
#include "plugin/plugin.h"
