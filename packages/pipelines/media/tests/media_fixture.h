/* media_fixture.h — test media made at run time with the ffmpeg CLI, in a private temp dir. */
#ifndef CFCLIP_MEDIA_FIXTURE_H
#define CFCLIP_MEDIA_FIXTURE_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "clipforge/fs.h"

/* Runs an ffmpeg command line (arguments after "ffmpeg -y ...") writing dir/name; returns the
 * malloc'd path or NULL when ffmpeg failed. */
static char *fixture_make(const char *dir, const char *name, const char *args) {
    char *path = cf_path_join(dir, name);
    size_t len = strlen(args) + strlen(path) + 128;
    char *cmd = malloc(len);
    snprintf(cmd, len, "ffmpeg -nostdin -hide_banner -loglevel error -y %s '%s'", args, path);
    int rc = system(cmd);
    free(cmd);
    if (rc != 0) {
        free(path);
        return NULL;
    }
    return path;
}

#endif
