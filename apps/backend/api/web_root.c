/* web_root.c — maps request paths to the web UI's files (see web_root.h). The path is checked
 * segment by segment before it touches the file system, and the resolved file is checked again
 * with realpath() so a symlink cannot lead outside the root either. */
#include "api/web_root.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "clipforge/paths.h"

#define IMMUTABLE "public, max-age=31536000, immutable"
#define REVALIDATE "no-cache"

static const struct {
    const char *ext, *type;
} types[] = {
    {"html", "text/html; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"json", "application/json"},
    {"map", "application/json"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"ico", "image/vnd.microsoft.icon"},
    {"woff2", "font/woff2"},
    {"woff", "font/woff"},
    {"txt", "text/plain; charset=utf-8"},
    {"wasm", "application/wasm"},
    {"webmanifest", "application/manifest+json"},
};

const char *cf_web_content_type(const char *name) {
    const char *slash = strrchr(name, '/');
    const char *dot = strrchr(slash ? slash : name, '.');
    if (dot)
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (!strcasecmp(dot + 1, types[i].ext)) return types[i].type;
    return "application/octet-stream";
}

const char *cf_web_root(const char *configured) {
    return configured && *configured ? configured : cf_share_path("web");
}

void cf_web_file_free(cf_web_file *f) {
    if (!f) return;
    free(f->path);
    f->path = NULL;
}

/* True when every segment of path is a plain name: no "." or "..", no backslash, no control
 * character, no empty segment but a trailing one. */
static bool safe_path(const char *path) {
    if (path[0] != '/') return false;
    const char *seg = path + 1;
    for (;;) {
        size_t n = strcspn(seg, "/");
        if ((n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.')) return false;
        if (n == 0 && seg[0] == '/') return false; /* "//" */
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)seg[i] < 0x20 || seg[i] == 0x7f || seg[i] == '\\') return false;
        if (!seg[n]) return true;
        seg += n + 1;
    }
}

/* The SPA's own routes (apps/frontend/src/App.tsx): answered with index.html. Any other path
 * without a file stays a 404, so a mistyped API path is not masked by the app. */
static const char *const pages[] = {"/", "/media", "/upload", "/jobs", "/clips"};
static const char *const page_prefixes[] = {"/jobs/", "/review/", "/edit/"};

static bool client_route(const char *path) {
    size_t n = strlen(path);
    if (n > 1 && path[n - 1] == '/') n--; /* "/jobs/" is "/jobs" */
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++)
        if (strlen(pages[i]) == n && !strncmp(path, pages[i], n)) return true;
    for (size_t i = 0; i < sizeof page_prefixes / sizeof page_prefixes[0]; i++) {
        size_t p = strlen(page_prefixes[i]);
        /* one more segment, no extension: /jobs/j_1, not /jobs/j_1/x or /jobs/a.js */
        if (n > p && !strncmp(path, page_prefixes[i], p) && !memchr(path + p, '/', n - p) &&
            !memchr(path + p, '.', n - p))
            return true;
    }
    return false;
}

/* realpath(candidate) if it is a regular file inside real_root; NULL otherwise. */
static char *inside(const char *real_root, const char *candidate) {
    char *real = realpath(candidate, NULL);
    if (!real) return NULL;
    size_t n = strlen(real_root);
    struct stat st;
    if (strncmp(real, real_root, n) || (real[n] != '/' && real[n]) || stat(real, &st) ||
        !S_ISREG(st.st_mode)) {
        free(real);
        return NULL;
    }
    return real;
}

static cf_err found(cf_web_file *out, char *path, const char *url_path, bool fallback) {
    out->path = path;
    out->content_type = cf_web_content_type(path);
    out->fallback = fallback;
    bool hashed = !fallback && !strncmp(url_path, "/assets/", 8);
    out->cache_control = hashed ? IMMUTABLE : REVALIDATE;
    return CF_OK;
}

cf_err cf_web_resolve(const char *root, const char *url_path, cf_web_file *out, cf_error *err) {
    memset(out, 0, sizeof *out);
    if (!url_path || !safe_path(url_path))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "path %s: not a plain file path",
                            url_path ? url_path : "(null)");
    char *real_root = realpath(root, NULL);
    if (!real_root) return cf_error_set(err, CF_ERR_NOT_FOUND, "web UI not built (%s)", root);
    cf_err rc = CF_OK;
    char *candidate = NULL;
    bool dir = url_path[strlen(url_path) - 1] == '/';
    if (asprintf(&candidate, "%s%s%s", real_root, url_path, dir ? "index.html" : "") < 0) {
        candidate = NULL;
        rc = cf_error_set(err, CF_ERR_NO_MEMORY, "web: out of memory");
        goto end;
    }
    char *real = inside(real_root, candidate);
    if (real) {
        rc = found(out, real, url_path, false);
        goto end;
    }
    if (client_route(url_path)) {
        free(candidate);
        if (asprintf(&candidate, "%s/index.html", real_root) < 0) {
            candidate = NULL;
            rc = cf_error_set(err, CF_ERR_NO_MEMORY, "web: out of memory");
            goto end;
        }
        if ((real = inside(real_root, candidate))) {
            rc = found(out, real, url_path, true);
            goto end;
        }
    }
    rc = cf_error_set(err, CF_ERR_NOT_FOUND, "%s: no such file in the web UI", url_path);
end:
    free(candidate);
    free(real_root);
    return rc;
}
