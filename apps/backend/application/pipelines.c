/* pipelines.c — finds, opens and configures the pipelines module once per process
 * (pipelines.h). */
#include "application/pipelines.h"

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "clipforge/fmt.h"
#include "clipforge/log.h"
#include "cli/cli.h"

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
/* Written once under load_once, read after it: the table, or the reason there is none. */
static const cf_pipelines *module;
static cf_error load_err;

/* Opens the module at dir/rel into *handle; false when there is no such file. A file the loader
 * refuses leaves *handle NULL with the loader's reason in err. */
static bool open_at(const char *dir, const char *rel, void **handle, cf_error *err) {
    char path[PATH_MAX];
    if (!cf_fmt(path, sizeof path, "%s/%s", dir, rel)) return false;
    if (access(path, F_OK) != 0) return false;
    /* RTLD_NOW: a symbol missing from the binary shows here, not in the middle of a job */
    *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!*handle) {
        const char *e = dlerror();
        cf_error_set(err, CF_ERR_UNAVAILABLE, "pipelines module: %s", e ? e : path);
    }
    return true;
}

static void *open_module(cf_error *err) {
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    char *slash = n > 0 ? (exe[n] = '\0', strrchr(exe, '/')) : NULL;
    if (!slash) {
        cf_error_set(err, CF_ERR_UNAVAILABLE, "pipelines module: cannot find the running binary");
        return NULL;
    }
    *slash = '\0';
    void *h = NULL;
    if (open_at(exe, CF_PIPELINES_FILE, &h, err) ||
        open_at(exe, "../lib/clipforge/" CF_PIPELINES_FILE, &h, err))
        return h;
    cf_error_set(err, CF_ERR_UNAVAILABLE,
                 "pipelines module %s not found beside %s nor in %s/../lib/clipforge", CF_PIPELINES_FILE, exe,
                 exe);
    return NULL;
}

static void load(void) {
    cf_error_clear(&load_err);
    void *h = open_module(&load_err);
    if (!h) return;
    const cf_pipelines *pl = dlsym(h, CF_PIPELINES_SYMBOL);
    if (!pl || pl->version != CF_PIPELINES_VERSION || pl->size != sizeof *pl) {
        cf_error_set(&load_err, CF_ERR_UNAVAILABLE, "pipelines module: not from this build of clipforge");
        return; /* the handle stays: closing a library whose constructors ran is not worth the risk */
    }
    cf_config cfg;
    cf_err rc = cf_config_load(&cfg, &load_err);
    if (!rc) {
        rc = pl->configure(&cfg, &load_err);
        cf_config_free(&cfg);
    }
    if (rc) return;
    module = pl;
    cf_log_debug("pipelines", "module loaded");
}

const cf_pipelines *cf_pipelines_get(cf_error *err) {
    pthread_once(&load_once, load);
    if (!module) *err = load_err;
    return module;
}

cf_err cf_pipelines_check(const cf_config *cfg, cf_error *err) {
    if (strcmp(cfg->private_urls, "refuse") && strcmp(cfg->private_urls, "allow"))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                            "CLIPFORGE_PRIVATE_URLS: '%s' is not refuse or allow", cfg->private_urls);
    return CF_OK;
}

int cf_pipelines_command(int argc, char **argv) {
    cf_error err;
    const cf_pipelines *pl = cf_pipelines_get(&err);
    int (*run)(int, char **) = pl ? pl->command(argv[0]) : NULL;
    if (!run) {
        if (pl) cf_error_set(&err, CF_ERR_UNSUPPORTED, "not in the pipelines module of this build");
        return cf_cli_fail(argv[0], &err);
    }
    return run(argc, argv);
}
