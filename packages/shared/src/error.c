/* error.c — names, messages and exit codes of cf_err, and cf_error message handling. */
#include "clipforge/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *cf_strerror(cf_err code) {
    switch (code) {
#define CF_ERR_MSG(name, value, msg, exit_code)                                                              \
    case CF_ERR_##name: return msg;
        CF_ERR_MAP(CF_ERR_MSG)
#undef CF_ERR_MSG
    default: return "unknown error";
    }
}

const char *cf_err_name(cf_err code) {
    switch (code) {
#define CF_ERR_NAME(name, value, msg, exit_code)                                                             \
    case CF_ERR_##name: return #name;
        CF_ERR_MAP(CF_ERR_NAME)
#undef CF_ERR_NAME
    default: return "UNKNOWN";
    }
}

int cf_err_exit_code(cf_err code) {
    switch (code) {
#define CF_ERR_EXIT(name, value, msg, exit_code)                                                             \
    case CF_ERR_##name: return exit_code;
        CF_ERR_MAP(CF_ERR_EXIT)
#undef CF_ERR_EXIT
    default: return 1;
    }
}

cf_err cf_err_of_write(int errnum) {
    return errnum == ENOSPC || errnum == EDQUOT ? CF_ERR_NO_SPACE : CF_ERR_IO;
}

void cf_error_clear(cf_error *e) {
    if (!e) return;
    e->code = CF_OK;
    e->msg[0] = '\0';
}

cf_err(cf_error_set)(cf_error *e, cf_err code, const char *fmt, ...) {
    if (!e) return code;
    e->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return code;
}

void cf_error_prefix(cf_error *e, const char *fmt, ...) {
    if (!e) return;
    char prefix[CF_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    /* Shift the old message right and put "prefix: " in front, truncating at the end. */
    size_t cap = sizeof e->msg - 1;
    size_t plen = strlen(prefix), mlen = strlen(e->msg);
    size_t head = plen + (mlen ? 2 : 0);
    if (head > cap) head = cap;
    size_t keep = mlen < cap - head ? mlen : cap - head;
    memmove(e->msg + head, e->msg, keep);
    e->msg[head + keep] = '\0';
    memcpy(e->msg, prefix, head < plen ? head : plen);
    if (head > plen) memcpy(e->msg + plen, ": ", head - plen);
}
