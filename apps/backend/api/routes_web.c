/* routes_web.c — serves the web UI (the built SPA) for GET and HEAD requests no API route
 * matched: files from the web root with their content type and cache policy, index.html for
 * the app's own routes (web_root.c decides), 404 problems for anything else. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api.h"
#include "api/web_root.h"

static enum MHD_Result not_built(cf_http_request *req) {
    static const char note[] =
        "clipforge: the web UI is not built. Build it with `make` (needs Node.js 20.19+ and npm), "
        "or point CLIPFORGE_WEB_DIR at a built apps/frontend/dist. The API is at /v1 and "
        "described at /openapi.json.\n";
    return cf_http_reply_text(req, 404, "text/plain; charset=utf-8", note, sizeof note - 1);
}

enum MHD_Result cf_api_web(cf_http_request *req, const char *url) {
    cf_error err;
    cf_web_file f;
    const char *root = cf_web_root(req->app->cfg.web_dir);
    cf_err rc = cf_web_resolve(root, url, &f, &err);
    if (rc == CF_ERR_NOT_FOUND && !strcmp(url, "/")) return not_built(req);
    if (rc == CF_ERR_INVALID_ARGUMENT) return cf_http_reply_problem(req, "not-found", err.msg);
    if (rc) return cf_http_reply_problem(req, "not-found", "no such route");
    int fd = open(f.path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st)) {
        if (fd >= 0) close(fd);
        cf_web_file_free(&f);
        return cf_http_reply_problem(req, "not-found", "no such file");
    }
    struct MHD_Response *r = MHD_create_response_from_fd((uint64_t)st.st_size, fd); /* owns fd */
    if (!r) {
        close(fd);
        cf_web_file_free(&f);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, f.content_type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, f.cache_control);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    cf_web_file_free(&f);
    return cf_http_reply(req, 200, r);
}
