/* docker_config.h -- registry credentials from docker's config.json
 * ($DOCKER_CONFIG/config.json, else ~/.docker/config.json), as `docker
 * login` and `oras login` leave them: auths.<registry>.auth, the base64 of
 * "user:password".  Credential helpers (credsStore) are not run. */
#ifndef WC_FETCH_DOCKER_CONFIG_H
#define WC_FETCH_DOCKER_CONFIG_H

#include "util/error.h"

/* *basic gets the malloc'ed base64 "user:password" for registry, or NULL
 * when the file or the entry is absent.  An unreadable or malformed file is
 * an error, so a login the user made is never silently skipped. */
int wc_docker_config_auth(const char *registry, char **basic, wc_error *err);

#endif
