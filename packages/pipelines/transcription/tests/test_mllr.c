/* The sendump -> mixture_weights conversion behind per-recording MLLR (mllr.c), on the model
 * Debian installs: the file sphinxtrain reads (s3 header padded to four bytes, byte-order magic,
 * dimensions, checksum) holding the sendump's weights; a damaged sendump is refused; an
 * estimate from no words declines instead of running the tools on nothing; sphinxtrain's
 * tools are looked for where CLIPFORGE_SPHINXTRAIN_DIR says, a missing one named; and a cancel
 * stops the estimate while a tool runs (the tool killed and reaped) or before any starts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clipforge/fs.h"
#include "mllr.h"

#define SENDUMP CF_PS_MODEL_DIR "/en-us/en-us/sendump"

typedef struct fixture {
    char *dir;
    char path[4096];
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    cf_error err = {0};
    if (!f || cf_make_temp_dir(NULL, "cf-mllr-test-", &f->dir, &err)) return -1;
    snprintf(f->path, sizeof f->path, "%s/mixture_weights", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    cf_error err = {0};
    cf_remove_tree(f->dir, &err);
    free(f->dir);
    free(f);
    return 0;
}

static unsigned char *slurp(const char *path, size_t *n) {
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    fseek(fp, 0, SEEK_END);
    long len = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)len);
    *n = b && fread(b, 1, (size_t)len, fp) == (size_t)len ? (size_t)len : 0;
    fclose(fp);
    return b;
}

static uint32_t u32(const unsigned char *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* The sendump's own dimensions, read the way pocketsphinx reads them (little-endian file). */
static size_t sendump_dims(const unsigned char *b, size_t n, int *feat, int *rows, int *cols) {
    size_t at = 0;
    *feat = 0;
    for (uint32_t len = u32(b); len; len = u32(b + at)) {
        at += 4;
        if (!strncmp((const char *)b + at, "feature_count ", 14)) *feat = atoi((const char *)b + at + 14);
        at += len;
        assert_true(at + 4 <= n);
    }
    at += 4;
    *rows = (int)u32(b + at);
    *cols = (int)u32(b + at + 4);
    return at + 8;
}

static void test_sendump_becomes_the_mixture_weights_sphinxtrain_reads(void **state) {
    fixture *f = *state;
    if (access(SENDUMP, R_OK) != 0) skip();
    cf_error err = {0};
    assert_int_equal(cf__mllr_sendump_to_mixw(SENDUMP, f->path, &err), CF_OK);

    size_t sn = 0, mn = 0;
    unsigned char *s = slurp(SENDUMP, &sn), *m = slurp(f->path, &mn);
    assert_non_null(s);
    assert_non_null(m);
    int feat, rows, cols;
    size_t q0 = sendump_dims(s, sn, &feat, &rows, &cols);
    assert_int_equal(sn - q0, (size_t)feat * (size_t)rows * (size_t)cols);

    const char *end = strstr((const char *)m, "endhdr\n");
    assert_non_null(end);
    assert_int_equal(strncmp((const char *)m, "s3\n", 3), 0);
    assert_non_null(strstr((const char *)m, "chksum0 yes\n"));
    size_t at = (size_t)(end - (const char *)m) + 7;
    assert_int_equal(at % 4, 0);
    assert_int_equal(u32(m + at), 0x11223344u);
    const unsigned char *data = m + at + 4;
    size_t words = (mn - at - 4) / 4;
    assert_int_equal(u32(data), (uint32_t)cols);
    assert_int_equal(u32(data + 4), (uint32_t)feat);
    assert_int_equal(u32(data + 8), (uint32_t)rows);
    size_t count = u32(data + 12);
    assert_int_equal(count, (size_t)feat * (size_t)rows * (size_t)cols);
    assert_int_equal(words, 4 + count + 1);
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < words; i++) sum = ((sum << 20) | (sum >> 12)) + u32(data + 4 * i);
    assert_int_equal(sum, u32(data + 4 * (words - 1)));

    /* each senone's weights sum to 1, and quantised again (negative log, base 1.0001, 10 bits
     * dropped) they are the sendump's bytes, within the step renormalising can move them */
    const double step = 1024.0 * log(1.0001);
    size_t off_by_more = 0;
    for (int sen = 0; sen < cols; sen++)
        for (int ft = 0; ft < feat; ft++) {
            double total = 0;
            for (int d = 0; d < rows; d++) {
                float w;
                memcpy(&w,
                       data + 16 + 4 * (((size_t)sen * (size_t)feat + (size_t)ft) * (size_t)rows + (size_t)d),
                       4);
                total += w;
                int back = (int)lrint(-log(w) / step);
                if (back > 255) back = 255;
                int orig = s[q0 + ((size_t)ft * (size_t)rows + (size_t)d) * (size_t)cols + (size_t)sen];
                /* (weights under the 1e-7 floor, about byte 157, come back as the floor) */
                if (orig < 157) off_by_more += abs(back - orig) > 1;
            }
            assert_true(fabs(total - 1.0) < 1e-3);
        }
    assert_int_equal(off_by_more, 0);
    free(s);
    free(m);
}

static void test_damaged_sendump_is_refused(void **state) {
    fixture *f = *state;
    if (access(SENDUMP, R_OK) != 0) skip();
    size_t n = 0;
    unsigned char *s = slurp(SENDUMP, &n);
    assert_non_null(s);
    char cut[4200];
    snprintf(cut, sizeof cut, "%s/cut", f->dir);
    cf_error err = {0};
    /* cut in the weights, and cut in the header */
    const size_t keep[] = {n - 1000, 200};
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(cf_write_file(cut, s, keep[i], &err), CF_OK);
        err = (cf_error){0};
        assert_int_not_equal(cf__mllr_sendump_to_mixw(cut, f->path, &err), CF_OK);
        assert_non_null(strstr(err.msg, "sendump"));
    }
    free(s);
}

static void test_no_words_no_estimate(void **state) {
    fixture *f = *state;
    if (!cf__mllr_tools_present(NULL, NULL, 0) || access(SENDUMP, R_OK) != 0) skip();
    int16_t pcm[16000] = {0};
    cf_transcript_word w[2] = {{"oil", 100, 200, 0.9}, {"pool", 200, 300, 0.2}};
    cf_transcript_segment seg = {.start_ms = 100, .end_ms = 300, .words = w, .n_words = 2};
    cf__mllr_job job = {.hmm = CF_PS_MODEL_DIR "/en-us/en-us",
                        .dict = CF_PS_MODEL_DIR "/en-us/cmudict-en-us.dict",
                        .pcm = pcm,
                        .n = 16000,
                        .segments = &seg,
                        .n_segments = 1,
                        .dir = f->dir};
    char path[4096] = "";
    cf_error err = {0};
    assert_int_equal(cf__mllr_estimate(&job, path, sizeof path, &err), CF_ERR_UNAVAILABLE);
    assert_non_null(strstr(err.msg, "too few"));
    assert_string_equal(path, "");
}

static void test_tools_looked_for_in_the_sphinxtrain_dir(void **state) {
    fixture *f = *state;
    char missing[4096] = "unchanged", tool[4096];
    assert_false(cf__mllr_tools_present(f->dir, missing, sizeof missing));
    snprintf(tool, sizeof tool, "%s/bw", f->dir);
    assert_string_equal(missing, tool);
    /* bw there (any executable), mllr_solve not: mllr_solve is the one named */
    assert_int_equal(symlink("/bin/true", tool), 0);
    assert_false(cf__mllr_tools_present(f->dir, missing, sizeof missing));
    snprintf(tool, sizeof tool, "%s/mllr_solve", f->dir);
    assert_string_equal(missing, tool);
    assert_int_equal(symlink("/bin/true", tool), 0);
    bool others =
        access("/usr/bin/sphinx_fe", X_OK) == 0 && access("/usr/bin/pocketsphinx_mdef_convert", X_OK) == 0;
    assert_int_equal(cf__mllr_tools_present(f->dir, missing, sizeof missing), others);
    if (others) assert_string_equal(missing, "");
    /* the built-in place when none is given */
    bool debian =
        access("/usr/lib/sphinxtrain/bw", X_OK) == 0 && access("/usr/lib/sphinxtrain/mllr_solve", X_OK) == 0;
    assert_int_equal(cf__mllr_tools_present(NULL, missing, sizeof missing), debian && others);
    if (!debian) assert_non_null(strstr(missing, "/usr/lib/sphinxtrain/"));
}

/* A recording and a first pass with enough words to adapt to, in the fixture's directory. */
typedef struct adapt_input {
    int16_t pcm[32000];
    cf_transcript_word w[6];
    cf_transcript_segment seg;
    char tools[4200], scratch[4200];
    cf_progress progress;
    double bw_started;
} adapt_input;

/* tools/bw marks that it started (tools/bw.started) and sleeps for a minute (a slow
 * adaptation), tools/mllr_solve succeeds. */
static void slow_input(fixture *f, adapt_input *in) {
    static const char *const words[] = {"oil", "resources", "are", "key", "to", "success"};
    for (size_t i = 0; i < 32000; i++) in->pcm[i] = (int16_t)((i * 7919) % 201 - 100);
    for (int i = 0; i < 6; i++)
        in->w[i] = (cf_transcript_word){(char *)words[i], 200 + 250 * i, 450 + 250 * i, 0.9};
    in->seg = (cf_transcript_segment){.start_ms = 200, .end_ms = 1700, .words = in->w, .n_words = 6};
    snprintf(in->tools, sizeof in->tools, "%s/tools", f->dir);
    snprintf(in->scratch, sizeof in->scratch, "%s/scratch", f->dir);
    assert_int_equal(mkdir(in->tools, 0755), 0);
    assert_int_equal(mkdir(in->scratch, 0755), 0);
    char path[4300];
    cf_error err = {0};
    snprintf(path, sizeof path, "%s/bw", in->tools);
    static const char script[] = "#!/bin/sh\ntouch \"$0.started\"\nexec sleep 60\n";
    assert_int_equal(cf_write_file(path, script, sizeof script - 1, &err), CF_OK);
    assert_int_equal(chmod(path, 0755), 0);
    snprintf(path, sizeof path, "%s/mllr_solve", in->tools);
    assert_int_equal(symlink("/bin/true", path), 0);
    cf_progress_init(&in->progress, NULL, NULL);
}

static cf__mllr_job job_of(adapt_input *in) {
    return (cf__mllr_job){.hmm = CF_PS_MODEL_DIR "/en-us/en-us",
                          .dict = CF_PS_MODEL_DIR "/en-us/cmudict-en-us.dict",
                          .pcm = in->pcm,
                          .n = 32000,
                          .segments = &in->seg,
                          .n_segments = 1,
                          .dir = in->scratch,
                          .sphinxtrain_dir = in->tools,
                          .progress = &in->progress};
}

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* Cancels once bw has started (waiting at most a minute for it). */
static void *cancel_in_bw(void *arg) {
    adapt_input *in = arg;
    const struct timespec tick = {0, 20 * 1000 * 1000};
    char started[4300];
    snprintf(started, sizeof started, "%s/bw.started", in->tools);
    for (int i = 0; i < 3000 && access(started, F_OK) != 0; i++) nanosleep(&tick, NULL);
    in->bw_started = now_s();
    cf_progress_cancel(&in->progress);
    return NULL;
}

static void test_cancel_stops_a_running_tool(void **state) {
    fixture *f = *state;
    if (access("/usr/bin/sphinx_fe", X_OK) || access("/usr/bin/pocketsphinx_mdef_convert", X_OK) ||
        access(SENDUMP, R_OK) != 0)
        skip();
    adapt_input *in = calloc(1, sizeof *in);
    assert_non_null(in);
    slow_input(f, in);
    cf__mllr_job job = job_of(in);
    pthread_t tid;
    assert_int_equal(pthread_create(&tid, NULL, cancel_in_bw, in), 0);
    char path[4096] = "";
    cf_error err = {0};
    cf_err e = cf__mllr_estimate(&job, path, sizeof path, &err);
    double end = now_s();
    pthread_join(tid, NULL);
    double took = end - in->bw_started;
    /* stopped in bw soon after the cancel, not after bw's minute, and the killed bw is reaped:
     * no child is left */
    assert_int_equal(e, CF_ERR_CANCELLED);
    assert_non_null(strstr(err.msg, "bw"));
    assert_true(took < 20.0);
    assert_string_equal(path, "");
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);
    free(in);
}

static void test_cancelled_before_it_starts_runs_nothing(void **state) {
    fixture *f = *state;
    adapt_input *in = calloc(1, sizeof *in);
    assert_non_null(in);
    slow_input(f, in);
    cf__mllr_job job = job_of(in);
    cf_progress_cancel(&in->progress);
    char path[4096] = "", log[4300];
    cf_error err = {0};
    assert_int_equal(cf__mllr_estimate(&job, path, sizeof path, &err), CF_ERR_CANCELLED);
    snprintf(log, sizeof log, "%s/log", in->scratch);
    assert_int_equal(access(log, F_OK), -1); /* no tool wrote to it */
    free(in);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sendump_becomes_the_mixture_weights_sphinxtrain_reads, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_damaged_sendump_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_words_no_estimate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tools_looked_for_in_the_sphinxtrain_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_stops_a_running_tool, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancelled_before_it_starts_runs_nothing, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
