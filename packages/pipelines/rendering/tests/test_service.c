/* test_service.c — the render service: renders into the data directory by clip id, reports a
 * framing pass and the encode in their shares, cancels a running render from another thread
 * (nothing left behind), refuses unsafe clip ids. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libavutil/log.h>

#include "clipforge/render.h"

static char dir[] = "/tmp/cf_render_svcXXXXXX";
static char source[1024], source_with_sound[1024];

typedef struct job {
    cf_render_request req;
    cf_render_result res;
    cf_error err;
    cf_err rc;
} job;

static void request(job *j, const char *clip_id, const char *output) {
    cf_render_request_init(&j->req);
    j->req.clip_id = (char *)clip_id;
    j->req.template_id = "shorts-smartcrop";
    j->req.source_uri = source;
    j->req.has_width = j->req.has_height = true;
    j->req.width = 180, j->req.height = 320;
    j->req.output_uri = (char *)output;
}

/* The settings the app would give: outputs under dir, the webhook adapter hook. */
static cf_err configure(const cf_render_webhook *hook) {
    cf_render_settings s = {.data_dir = dir, .webhook = hook};
    cf_error err;
    return cf_render_configure(&s, &err);
}

static void *run(void *arg) {
    job *j = arg;
    j->rc = cf_render_service_default()->render(NULL, &j->req, NULL, &j->res, &j->err);
    return NULL;
}

static void test_renders_into_the_data_dir_by_clip_id(void **state) {
    (void)state;
    job j;
    request(&j, "clip-7", NULL);
    run(&j);
    if (j.rc) fail_msg("%s", j.err.msg);
    char want[1200];
    snprintf(want, sizeof want, "%s/renders/clip-7/render.mp4", dir);
    assert_string_equal(j.res.render_uri, want);
    assert_int_equal(access(want, R_OK), 0);
    cf_render_result_free(&j.res);
}

static void test_cancel_stops_a_running_render(void **state) {
    (void)state;
    const cf_render_service *svc = cf_render_service_default();
    cf_error err;
    assert_int_equal(svc->cancel(NULL, "nobody", &err), CF_ERR_NOT_FOUND);
    char out[1200];
    snprintf(out, sizeof out, "%s/cancelled.mp4", dir);
    job j;
    request(&j, "clip-c", out);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, run, &j), 0);
    struct timespec ms = {0, 1000000};
    int tries = 0;
    while (svc->cancel(NULL, "clip-c", &err) != CF_OK && tries++ < 5000) nanosleep(&ms, NULL);
    pthread_join(t, NULL);
    assert_int_equal(j.rc, CF_ERR_CANCELLED);
    assert_int_not_equal(access(out, F_OK), 0);
}

typedef struct seen {
    double first_encode, last_encode, top_framing, first_sound, last_sound, last;
    bool backwards;
} seen;

static void on_progress(void *user, double f, const char *stage) {
    seen *s = user;
    if (f < s->last) s->backwards = true;
    s->last = f;
    if (!strcmp(stage, "encode") && s->first_encode < 0) s->first_encode = f;
    if (!strcmp(stage, "encode")) s->last_encode = f;
    else if (!strcmp(stage, "loudness") && s->first_sound < 0) s->first_sound = s->last_sound = f;
    else if (!strcmp(stage, "loudness")) s->last_sound = f;
    else if (s->first_encode < 0 && f > s->top_framing) s->top_framing = f;
}

static seen render_seen(const char *template_id, const char *clip_id, char *src) {
    job j;
    request(&j, clip_id, NULL);
    j.req.template_id = (char *)template_id;
    j.req.source_uri = src;
    seen s = {.first_encode = -1, .first_sound = -1};
    cf_progress p;
    cf_progress_init(&p, on_progress, &s);
    j.rc = cf_render_service_default()->render(NULL, &j.req, &p, &j.res, &j.err);
    if (j.rc) fail_msg("%s", j.err.msg);
    cf_render_result_free(&j.res);
    return s;
}

/* A render's framing pass (smart crop) takes the first fifth of its progress, the measures of its
 * sound the next tenth (a render with sound), and the encode the rest; a render without
 * either starts its encode at 0 rather than at a fifth. */
static void test_progress_shares_follow_the_framing(void **state) {
    (void)state;
    seen crop = render_seen("shorts-smartcrop", "clip-p1", source);
    assert_false(crop.backwards);
    assert_true(crop.top_framing > 0.1 && crop.top_framing <= 0.2 + 1e-9);
    assert_true(crop.first_sound < 0); /* no sound to measure */
    assert_true(crop.first_encode >= 0.2 - 1e-9 && crop.last_encode > 0.9 && crop.last_encode <= 0.95 + 1e-9);
    seen blur = render_seen("shorts-blur", "clip-p2", source);
    assert_false(blur.backwards);
    assert_true(blur.first_encode >= 0 && blur.first_encode < 0.1);
    assert_true(blur.last_encode > 0.9 && blur.last_encode <= 0.95 + 1e-9);
    seen loud = render_seen("shorts-smartcrop", "clip-p3", source_with_sound);
    assert_false(loud.backwards);
    assert_true(loud.top_framing > 0.1 && loud.top_framing <= 0.2 + 1e-9);
    assert_true(loud.first_sound >= 0.2 - 1e-9 && loud.last_sound > loud.first_sound &&
                loud.last_sound <= 0.3 + 1e-9);
    assert_true(loud.first_encode >= 0.3 - 1e-9 && loud.last_encode > 0.9 && loud.last_encode <= 0.95 + 1e-9);
}

static void test_unsafe_clip_ids_are_refused(void **state) {
    (void)state;
    job j;
    request(&j, "../x", NULL);
    run(&j);
    assert_int_equal(j.rc, CF_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(j.err.msg, "clip_id"));
}

static int setup(void **state) {
    (void)state;
    av_log_set_level(AV_LOG_ERROR);
    const char *media = getenv("CF_RENDER_TESTDATA");
    snprintf(source, sizeof source, "%s/moving_box.mp4", media ? media : ".");
    snprintf(source_with_sound, sizeof source_with_sound, "%s/moving_box_sound.mp4", media ? media : ".");
    if (!mkdtemp(dir)) return -1;
    return configure(NULL) == CF_OK ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static char *g_posted;

static cf_err record_post(void *self, const cf_render_destination *d, const char *body, cf_error *err) {
    (void)self, (void)d, (void)err;
    free(g_posted);
    g_posted = strdup(body);
    return CF_OK;
}

/* The pipeline does no HTTP: a webhook destination goes to the adapter the app configured. */
static void test_webhook_goes_through_the_configured_adapter(void **state) {
    (void)state;
    char clip[] = "c1", url[] = "http://127.0.0.1:9/hook";
    cf_render_result res;
    memset(&res, 0, sizeof res);
    res.clip_id = clip;
    cf_render_destination d = {.kind = CF_DESTINATION_KIND_WEBHOOK, .url = url};
    cf_error err;
    assert_int_equal(cf_render_deliver(&res, &d, &err), CF_ERR_UNSUPPORTED);
    cf_render_webhook hook = {.version = 1, .post = record_post};
    assert_int_equal(configure(&hook), CF_OK);
    assert_int_equal(cf_render_deliver(&res, &d, &err), CF_OK);
    assert_non_null(g_posted);
    assert_non_null(strstr(g_posted, "\"c1\""));
    free(g_posted);
    g_posted = NULL;
    assert_int_equal(configure(NULL), CF_OK);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_renders_into_the_data_dir_by_clip_id),
        cmocka_unit_test(test_progress_shares_follow_the_framing),
        cmocka_unit_test(test_cancel_stops_a_running_render),
        cmocka_unit_test(test_unsafe_clip_ids_are_refused),
        cmocka_unit_test(test_webhook_goes_through_the_configured_adapter),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
