/* paths.c — data files relative to the running binary (/proc/self/exe), state under
 * $STATE_DIRECTORY or the XDG state directory. Steered by CLIPFORGE_SHARE_DIR, STATE_DIRECTORY,
 * XDG_STATE_HOME, HOME. */
#include "clipforge/fmt.h"
#include "clipforge/paths.h"

#include <limits.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clipforge/fs.h"

#define FALLBACK_SHARE "/usr/share/clipforge"
#define MAX_SUBS 16

static pthread_once_t share_once = PTHREAD_ONCE_INIT;
static char share_dir[PATH_MAX] = FALLBACK_SHARE;

static pthread_mutex_t subs_lock = PTHREAD_MUTEX_INITIALIZER; /* guards subs */
static struct { char *name, *path; } subs[MAX_SUBS];

static bool is_dir(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Sets share_dir to dir/rel when that is a directory (resolved to a canonical path). */
static bool try_dir(const char *dir, const char *rel) {
    char cand[PATH_MAX];
    if (!cf_fmt(cand, sizeof cand, "%s/%s", dir, rel) || !is_dir(cand)) return false;
    if (!realpath(cand, share_dir)) snprintf(share_dir, sizeof share_dir, "%s", cand);
    return true;
}

static void resolve_share(void) {
    const char *env = getenv("CLIPFORGE_SHARE_DIR");
    if (env && *env && strlen(env) < sizeof share_dir) {
        snprintf(share_dir, sizeof share_dir, "%s", env);
        return;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash) return;
    *slash = '\0';
    if (try_dir(exe, "../share/clipforge") || try_dir(exe, "share/clipforge")) return;
    /* Nothing found: name the installed location in errors. */
    char *up = strrchr(exe, '/');
    if (up && up != exe) {
        *up = '\0';
        if (!cf_fmt(share_dir, sizeof share_dir, "%s/share/clipforge", exe))
            snprintf(share_dir, sizeof share_dir, "%s", FALLBACK_SHARE);
    }
}

const char *cf_share_dir(void) {
    pthread_once(&share_once, resolve_share);
    return share_dir;
}

const char *cf_share_path(const char *sub) {
    const char *root = cf_share_dir();
    const char *found = NULL;
    pthread_mutex_lock(&subs_lock);
    for (int i = 0; i < MAX_SUBS && !found; i++) {
        if (subs[i].name && !strcmp(subs[i].name, sub)) found = subs[i].path;
        else if (!subs[i].name) {
            char *name = strdup(sub), *path = cf_path_join(root, sub);
            if (name && path) {
                subs[i].name = name;
                found = subs[i].path = path;
            } else {
                free(name);
                free(path);
            }
            break;
        }
    }
    pthread_mutex_unlock(&subs_lock);
    return found ? found : root;
}

char *cf_default_state_dir(void) {
    const char *sd = getenv("STATE_DIRECTORY");
    if (sd && *sd) return strndup(sd, strcspn(sd, ":")); /* several: the first is ours */
    const char *xdg = getenv("XDG_STATE_HOME");
    if (xdg && xdg[0] == '/') return cf_path_join(xdg, "clipforge");
    const char *home = getenv("HOME");
    if (!home || !*home) return NULL;
    char *state = cf_path_join(home, ".local/state");
    char *dir = state ? cf_path_join(state, "clipforge") : NULL;
    free(state);
    return dir;
}
