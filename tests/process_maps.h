/* process_maps.h -- whether this process has a library mapped, for the
 * tests of what is loaded only on use (Arm NN's shim, libcurl). */
#ifndef WC_TESTS_PROCESS_MAPS_H
#define WC_TESTS_PROCESS_MAPS_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* True when a line of /proc/self/maps names a file containing `name`
 * (e.g. "/libcurl.so"). */
static inline bool process_maps_library(const char *name)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[1024];
    bool found = false;
    for (int n = 0; f && !found && n < 100000 && fgets(line, sizeof line, f); n++)
        found = strstr(line, name) != NULL;
    if (f)
        fclose(f);
    return found;
}

#endif
