/* storage.c — registry of object storage backends, key validation and the thin wrappers, which
 * measure every backend alike (clipforge_storage_operation_duration_seconds and
 * clipforge_storage_errors_total by operation and backend) and trace whole-object transfers as
 * client spans ("storage put", "storage get"), so uploads of outputs and downloads of sources
 * show in the job's trace. */
#include "clipforge/storage.h"
#include "clipforge/metrics.h"
#include "clipforge/registry.h"
#include "clipforge/trace.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static cf_registry backends = CF_REGISTRY_INIT;

cf_err cf_storage_register(const cf_storage_methods *m) {
    return cf_registry_add(&backends, m->name, m);
}

const cf_storage_methods *cf_storage_find(const char *name) {
    return cf_registry_find(&backends, name);
}

cf_err cf_storage_open(const char *url, const unsigned char *signing_key, size_t key_len, cf_storage **out,
                       cf_error *err) {
    *out = NULL;
    char name[32];
    cf_err src = cf_url_scheme(url, name, sizeof name, "storage", err);
    if (src) return src;
    const cf_storage_methods *m = cf_storage_find(name);
    if (!m) return cf_error_set(err, CF_ERR_UNSUPPORTED, "storage URL '%s': no backend '%s'", url, name);
    cf_storage *s = calloc(1, sizeof *s);
    if (!s) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    s->m = m;
    cf_err rc = m->open(url, signing_key, key_len, &s->self, err);
    if (rc) {
        free(s);
        return rc;
    }
    *out = s;
    return CF_OK;
}

void cf_storage_close(cf_storage *s) {
    if (!s) return;
    s->m->close(s->self);
    free(s);
}

static bool char_ok(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

bool cf_storage_key_valid(const char *key) {
    if (!key || !*key || strlen(key) > 512) return false;
    const char *seg = key;
    for (const char *p = key;; p++) {
        if (*p == '/' || *p == '\0') {
            size_t len = (size_t)(p - seg);
            if (len == 0) return false;
            bool dots = strspn(seg, ".") >= len; /* ".", ".." and friends */
            if (dots) return false;
            if (*p == '\0') return true;
            seg = p + 1;
        } else if (!char_ok(*p)) {
            return false;
        }
    }
}

static cf_err timed(cf_storage *s, const char *op, double t0, cf_err rc) {
    static cf_metric *dur, *errors;
    if (!dur) {
        dur = cf_metric_histogram("clipforge_storage_operation_duration_seconds",
                                  "Object storage operations by operation and backend.", "op,backend");
        errors =
            cf_metric_counter("clipforge_storage_errors",
                              "Object storage operations that failed (not found excluded).", "op,backend");
    }
    cf_metric_observe(dur, op, s->m->name, cf_metric_now() - t0);
    if (rc && rc != CF_ERR_NOT_FOUND) cf_metric_add(errors, op, s->m->name, 1);
    return rc;
}

/* A client span for a transfer of key on s's backend. */
static cf_span *transfer_span(cf_storage *s, const char *name, const char *key) {
    cf_span *span = cf_span_begin(name);
    cf_span_set_str(span, "clipforge.storage.backend", s->m->name);
    cf_span_set_str(span, "clipforge.storage.key", key);
    return span;
}

static cf_err end_transfer(cf_span *span, cf_err rc, const cf_error *err) {
    if (rc) cf_span_set_error(span, err->msg);
    cf_span_finish(span);
    return rc;
}

static cf_err check_key(const char *key, cf_error *err) {
    if (cf_storage_key_valid(key)) return CF_OK;
    return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "invalid storage key '%s'", key ? key : "");
}

cf_err cf_storage_put_begin(cf_storage *s, const char *key, cf_storage_writer **w, cf_error *err) {
    cf_err rc = check_key(key, err);
    return rc ? rc : s->m->put_begin(s->self, key, w, err);
}

cf_err cf_storage_put_write(cf_storage *s, cf_storage_writer *w, const void *buf, size_t len, cf_error *err) {
    return s->m->put_write(s->self, w, buf, len, err);
}

cf_err cf_storage_put_commit(cf_storage *s, cf_storage_writer *w, cf_error *err) {
    double t0 = cf_metric_now(); /* the part a streamed upload waits for at its end */
    return timed(s, "put_commit", t0, s->m->put_commit(s->self, w, err));
}

void cf_storage_put_abort(cf_storage *s, cf_storage_writer *w) {
    if (w) s->m->put_abort(s->self, w);
}

static cf_err put_file(cf_storage *s, const char *key, const char *src, cf_error *err) {
    int fd = open(src, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return cf_error_set(err, CF_ERR_IO, "cannot open %s: %s", src, strerror(errno));
    cf_storage_writer *w = NULL;
    cf_err rc = cf_storage_put_begin(s, key, &w, err);
    char buf[65536];
    while (rc == CF_OK) {
        ssize_t got = read(fd, buf, sizeof buf);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) rc = cf_error_set(err, CF_ERR_IO, "cannot read %s: %s", src, strerror(errno));
        if (got <= 0) break;
        rc = cf_storage_put_write(s, w, buf, (size_t)got, err);
    }
    close(fd);
    if (rc == CF_OK) return cf_storage_put_commit(s, w, err);
    cf_storage_put_abort(s, w);
    return rc;
}

cf_err cf_storage_put_buffer(cf_storage *s, const char *key, const void *data, size_t len, cf_error *err) {
    cf_storage_writer *w = NULL;
    cf_err rc = cf_storage_put_begin(s, key, &w, err);
    if (rc == CF_OK && len) rc = cf_storage_put_write(s, w, data, len, err);
    if (rc == CF_OK) return cf_storage_put_commit(s, w, err);
    cf_storage_put_abort(s, w);
    return rc;
}

cf_err cf_storage_read_all(cf_storage *s, const char *key, size_t max, char **data, size_t *len,
                           cf_error *err) {
    *data = NULL;
    *len = 0;
    int fd = -1;
    cf_storage_info st;
    cf_err rc = cf_storage_open_read(s, key, &fd, &st, err);
    if (rc) return rc;
    if (st.size < 0 || (uint64_t)st.size > max) {
        close(fd);
        return cf_error_set(err, CF_ERR_TOO_LARGE, "%s: %lld bytes, more than %zu", key, (long long)st.size,
                            max);
    }
    char *buf = malloc((size_t)st.size + 1);
    size_t got = 0;
    while (buf && got < (size_t)st.size) {
        ssize_t n = read(fd, buf + got, (size_t)st.size - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += (size_t)n;
    }
    close(fd);
    if (!buf) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    if (got != (size_t)st.size) {
        free(buf);
        return cf_error_set(err, CF_ERR_IO, "%s: short read", key);
    }
    buf[got] = '\0';
    *data = buf;
    *len = got;
    return CF_OK;
}

cf_err cf_storage_put_file(cf_storage *s, const char *key, const char *src, cf_error *err) {
    cf_span *span = transfer_span(s, "storage put", key);
    double t0 = cf_metric_now();
    return end_transfer(span, timed(s, "put_file", t0, put_file(s, key, src, err)), err);
}

cf_err cf_storage_open_read(cf_storage *s, const char *key, int *fd, cf_storage_info *st, cf_error *err) {
    cf_err rc = check_key(key, err);
    if (rc) return rc;
    cf_span *span = transfer_span(s, "storage get", key);
    double t0 = cf_metric_now();
    rc = timed(s, "open_read", t0, s->m->open_read(s->self, key, fd, st, err));
    return end_transfer(span, rc, err);
}

cf_err cf_storage_local_path(cf_storage *s, const char *key, char **path, cf_error *err) {
    cf_err rc = check_key(key, err);
    if (rc) return rc;
    cf_span *span = transfer_span(s, "storage get", key); /* remote backends download here */
    double t0 = cf_metric_now();
    rc = timed(s, "local_path", t0, s->m->local_path(s->self, key, path, err));
    return end_transfer(span, rc, err);
}

cf_err cf_storage_stat(cf_storage *s, const char *key, cf_storage_info *st, cf_error *err) {
    cf_err rc = check_key(key, err);
    if (rc) return rc;
    double t0 = cf_metric_now();
    return timed(s, "stat", t0, s->m->stat(s->self, key, st, err));
}

cf_err cf_storage_remove(cf_storage *s, const char *key, cf_error *err) {
    cf_err rc = check_key(key, err);
    if (rc) return rc;
    double t0 = cf_metric_now();
    return timed(s, "remove", t0, s->m->remove(s->self, key, err));
}

/* A tenant in a signed link: one plain segment (it goes into the URL as it is). */
static bool tenant_ok(const char *t) {
    size_t n = t ? strlen(t) : 0;
    return n && n <= 64 && !strchr(t, '/') && cf_storage_key_valid(t);
}

cf_err cf_storage_sign(cf_storage *s, const char *tenant, const char *key, int64_t ttl_s, int64_t now_s,
                       char **url, cf_error *err) {
    cf_err rc = check_key(key, err);
    if (rc == CF_OK && !tenant_ok(tenant))
        rc = cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "storage: invalid tenant for a signed URL");
    return rc ? rc : s->m->sign(s->self, tenant, key, ttl_s, now_s, url, err);
}

cf_err cf_storage_verify(cf_storage *s, const char *tenant, const char *key, const char *exp, const char *sig,
                         int64_t now_s, cf_error *err) {
    if (!cf_storage_key_valid(key) || !tenant_ok(tenant) || !exp || !sig)
        return cf_error_set(err, CF_ERR_PERMISSION, "invalid signed URL");
    return s->m->verify(s->self, tenant, key, exp, sig, now_s, err);
}

cf_err cf_storage_list(cf_storage *s, const char *prefix, cf_storage_list_fn fn, void *user, cf_error *err) {
    if (!s->m->list)
        return cf_error_set(err, CF_ERR_UNSUPPORTED, "%s storage cannot list objects", s->m->name);
    if (!prefix || strlen(prefix) > 512 || strstr(prefix, ".."))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "storage: invalid prefix");
    return s->m->list(s->self, prefix, fn, user, err);
}

/* Keys listed in one round of cf_storage_remove_under: gathered before any is removed, since not
 * every store lists what changes under it. */
#define REMOVE_ROUND 64
#define REMOVE_ROUNDS_MAX 1000

typedef struct removal_round {
    const char *keep;
    char keys[REMOVE_ROUND][520]; /* keys are at most 512 bytes (cf_storage_key_valid) */
    size_t n;
} removal_round;

static bool gather_for_removal(void *user, const char *key, const cf_storage_info *st) {
    (void)st;
    removal_round *r = user;
    if (r->keep && !strncmp(key, r->keep, strlen(r->keep))) return true;
    snprintf(r->keys[r->n++], sizeof r->keys[0], "%s", key);
    return r->n < REMOVE_ROUND;
}

cf_err cf_storage_remove_under(cf_storage *s, const char *prefix, const char *keep, size_t *removed,
                               cf_error *err) {
    removal_round *r = malloc(sizeof *r);
    if (!r) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    r->keep = keep;
    cf_err rc = CF_OK;
    size_t gone = 0;
    for (int round = 0, more = 1; more && rc == CF_OK && round < REMOVE_ROUNDS_MAX; round++) {
        r->n = 0;
        rc = cf_storage_list(s, prefix, gather_for_removal, r, err);
        size_t before = gone;
        for (size_t i = 0; rc == CF_OK && i < r->n; i++) {
            cf_error ignored; /* gone meanwhile is fine */
            gone += cf_storage_remove(s, r->keys[i], &ignored) == CF_OK;
        }
        more = r->n == REMOVE_ROUND && gone > before; /* a round that removes nothing would repeat */
    }
    free(r);
    if (removed) *removed = gone;
    return rc;
}
