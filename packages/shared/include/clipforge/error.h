/* error.h — the one error enum of clipforge, its names and messages, and the caller-owned
 * cf_error that carries a human message with context up the stack. */
#ifndef CLIPFORGE_ERROR_H
#define CLIPFORGE_ERROR_H

#include <stddef.h>

/* X(NAME, value, message, exit_code). Append only: values are part of logs and APIs.
 * exit_code is what the CLI returns: 2 for usage/input errors, 1 for processing errors. */
#define CF_ERR_MAP(X)                                                                                        \
    X(OK, 0, "success", 0)                                                                                   \
    X(INVALID_ARGUMENT, -1, "invalid argument", 2)                                                           \
    X(NOT_FOUND, -2, "not found", 2)                                                                         \
    X(IO, -3, "input/output error", 1)                                                                       \
    X(NO_MEMORY, -4, "out of memory", 1)                                                                     \
    X(INVALID_MEDIA, -5, "invalid or corrupt media", 2)                                                      \
    X(UNSUPPORTED, -6, "unsupported", 2)                                                                     \
    X(CANCELLED, -7, "cancelled", 1)                                                                         \
    X(CONFLICT, -8, "conflict", 1)                                                                           \
    X(TOO_LARGE, -9, "too large", 2)                                                                         \
    X(TIMEOUT, -10, "timed out", 1)                                                                          \
    X(UNAVAILABLE, -11, "service unavailable", 1)                                                            \
    X(INTERNAL, -12, "internal error", 1)                                                                    \
    X(PERMISSION, -13, "permission denied", 2)                                                               \
    X(PROCESSING, -14, "processing failed", 1)                                                               \
    X(NO_SPACE, -15, "no space left on the device", 1)

typedef enum cf_err {
#define CF_ERR_ENUM(name, value, msg, exit_code)                                                             \
    CF_ERR_##name = value, /* NOLINT(bugprone-macro-parentheses) */
    CF_ERR_MAP(CF_ERR_ENUM)
#undef CF_ERR_ENUM
        CF_ERR_LAST_ = -16
} cf_err;

#define CF_OK CF_ERR_OK

#define CF_ERROR_MSG_MAX 1024

/* Filled by a callee on failure; owned by the caller (usually on its stack). */
typedef struct cf_error {
    cf_err code;
    char msg[CF_ERROR_MSG_MAX];
} cf_error;

/* Human message for a code ("invalid argument"); never NULL. */
const char *cf_strerror(cf_err code);
/* Stable upper-case name for a code ("INVALID_ARGUMENT"); never NULL. */
const char *cf_err_name(cf_err code);
/* CLI exit status for a code: 0 ok, 2 usage/input, 1 processing. */
int cf_err_exit_code(cf_err code);
/* The code of a failed write, creation or sync by its errno: NO_SPACE for a full disk or a used
 * up quota (ENOSPC, EDQUOT; the server's storage, not the caller's request), else IO. */
cf_err cf_err_of_write(int errnum);

/* Resets e to CF_OK with an empty message. NULL-safe. */
void cf_error_clear(cf_error *e);
/* Sets code and a printf-style message (truncated to fit); returns code. NULL-safe. */
cf_err cf_error_set(cf_error *e, cf_err code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* For clang-analyzer, the same call with its result (`code`) in sight of the caller, so that it knows
 * `return cf_error_set(...)` fails; without it the analyzer follows impossible "it returned CF_OK" paths. */
#ifdef __clang_analyzer__ /* only for it: compilers and cppcheck see the plain call */
#define cf_error_set(e, code, ...)                                                                           \
    __extension__({                                                                                          \
        cf_err cf_error_code_ = (code);                                                                      \
        cf_error_set((e), cf_error_code_, __VA_ARGS__);                                                      \
        cf_error_code_;                                                                                      \
    })
#endif
/* Prepends caller context: "context: previous message". Keeps the code. NULL-safe. */
void cf_error_prefix(cf_error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
