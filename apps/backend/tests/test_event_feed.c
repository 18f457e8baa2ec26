/* The event window (api/event_feed.h) on a real SQLite store: the window starts at the store's
 * newest event and holds only what it read after; a cursor inside it gets its tenant's events
 * (or its job's) in order, each as the SSE message "id: N\nevent: T\ndata: JSON\n\n" whose JSON
 * is the Event; a cursor behind it reads the store and then goes on in the window with no event
 * twice and none missed; a batch limit sets *more; a sink that refuses leaves the cursor before
 * the event it refused; a window emptied while no stream read it (cf_event_window_forget) and
 * started again later leaves a cursor from before with no event twice and none missed; hundreds
 * of streams behind a small window that turns over many times each get every event of theirs,
 * while the store is read a handful of times for all of them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "api/event_feed.h"
#include "clipforge/metrics.h"
#include "temp_store.h"

typedef struct fixture {
    char *dir;
    cf_store *store;
    cf_event_window *win;
} fixture;

/* What a sink saw: ids, and each message checked against its parts. */
typedef struct seen {
    int64_t ids[64];
    size_t n, refuse_at; /* refuse the event at this index (0: never) */
} seen;

static bool take(void *ctx, const cf_event_text *ev) {
    seen *s = ctx;
    if (s->refuse_at && s->n == s->refuse_at) return false;
    char head[96];
    int hl = snprintf(head, sizeof head, "id: %lld\nevent: %s\ndata: ", (long long)ev->id, ev->type);
    assert_true(ev->sse_len > (size_t)hl + 2);
    assert_memory_equal(ev->sse, head, (size_t)hl);
    assert_ptr_equal(ev->json, ev->sse + hl);
    assert_int_equal(ev->json_len, ev->sse_len - (size_t)hl - 2);
    assert_memory_equal(ev->sse + ev->sse_len - 2, "\n\n", 2);
    json_t *j = json_loadb(ev->json, ev->json_len, 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "id")), ev->id);
    assert_string_equal(json_string_value(json_object_get(j, "type")), ev->type);
    json_decref(j);
    s->ids[s->n++] = ev->id;
    return true;
}

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    f->store = temp_store_open("cffeed-", &f->dir);
    assert_non_null(f->store);
    f->win = cf_event_window_new(f->store, 4096);
    assert_non_null(f->win);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    cf_event_window_free(f->win);
    temp_store_close(f->store, f->dir);
    free(f);
    return 0;
}

/* Creates job id of tenant (one JobRequested event). */
static void create(fixture *f, const char *id, const char *tenant) {
    cf_job_new in = {.id = id, .kind = "noop", .request = "{}", .tenant = tenant, .now = 1000};
    cf_job_record out;
    bool replayed = false;
    cf_error err;
    assert_int_equal(cf_store_job_create(f->store, &in, &out, &replayed, &err), CF_OK);
    cf_job_record_free(&out);
}

static int64_t last_event(fixture *f) {
    cf_job_stats st;
    cf_error err;
    assert_int_equal(cf_store_stats(f->store, &st, &err), CF_OK);
    return st.last_event_id;
}

static cf_event_cursor cursor(fixture *f, const char *tenant, int64_t after) {
    cf_event_cursor c = {.store = f->store, .win = f->win, .last_id = after};
    snprintf(c.tenant, sizeof c.tenant, "%s", tenant);
    return c;
}

static void next(cf_event_cursor *c, size_t max, seen *s, bool *more) {
    cf_error err;
    assert_int_equal(cf_event_cursor_next(c, max, take, s, more, &err), CF_OK);
}

static void test_window_serves_a_tenant_its_events_in_order(void **state) {
    fixture *f = *state;
    cf_error err;
    create(f, "j_old", "acme"); /* before the window: read from the store */
    assert_int_equal(cf_event_window_refresh(f->win, &err), CF_OK); /* primes at the newest */
    int64_t start = last_event(f);
    create(f, "j_a1", "acme");
    create(f, "j_b1", "beta");
    create(f, "j_a2", "acme");
    assert_int_equal(cf_event_window_refresh(f->win, &err), CF_OK);
    cf_event_cursor a = cursor(f, "acme", start);
    seen s = {0};
    bool more = true;
    next(&a, 64, &s, &more);
    assert_int_equal(s.n, 2);
    assert_false(more);
    assert_int_equal(s.ids[0], start + 1);
    assert_int_equal(s.ids[1], start + 3);
    assert_int_equal(a.last_id, start + 3);
    cf_event_cursor b = cursor(f, "beta", start);
    seen sb = {0};
    next(&b, 64, &sb, &more);
    assert_int_equal(sb.n, 1);
    assert_int_equal(sb.ids[0], start + 2);
    /* a job's stream: that job alone */
    cf_event_cursor j = cursor(f, "acme", start);
    char job[] = "j_a2";
    j.job_id = job;
    seen sj = {0};
    next(&j, 64, &sj, &more);
    assert_int_equal(sj.n, 1);
    assert_int_equal(sj.ids[0], start + 3);
}

static void test_a_cursor_behind_the_window_catches_up_without_gap_or_repeat(void **state) {
    fixture *f = *state;
    cf_error err;
    create(f, "j_1", "acme");
    create(f, "j_2", "beta");
    create(f, "j_3", "acme");
    assert_int_equal(cf_event_window_refresh(f->win, &err), CF_OK);
    create(f, "j_4", "acme");
    create(f, "j_5", "acme");
    assert_int_equal(cf_event_window_refresh(f->win, &err), CF_OK);
    cf_event_cursor c = cursor(f, "acme", 0); /* a resume from the beginning */
    seen s = {0};
    bool more = true;
    for (int round = 0; round < 10 && (more || round == 0); round++) next(&c, 1, &s, &more);
    next(&c, 64, &s, &more);
    assert_int_equal(s.n, 4);
    for (size_t i = 1; i < s.n; i++) assert_true(s.ids[i] > s.ids[i - 1]);
    assert_int_equal(s.ids[3], last_event(f));
    seen again = {0};
    next(&c, 64, &again, &more);
    assert_int_equal(again.n, 0);
}

static void test_limit_and_refusal_keep_the_position(void **state) {
    fixture *f = *state;
    cf_error err;
    assert_int_equal(cf_event_window_refresh(f->win, &err), CF_OK);
    int64_t start = last_event(f);
    for (int i = 0; i < 5; i++) {
        char id[16];
        snprintf(id, sizeof id, "j_%d", i);
        create(f, id, "acme");
    }
    assert_int_equal(cf_event_window_refresh(f->win, &err), CF_OK);
    cf_event_cursor c = cursor(f, "acme", start);
    seen s = {0};
    bool more = false;
    next(&c, 2, &s, &more);
    assert_int_equal(s.n, 2);
    assert_true(more);
    assert_int_equal(c.last_id, start + 2);
    s.refuse_at = 3; /* takes one more, refuses the next */
    next(&c, 64, &s, &more);
    assert_int_equal(s.n, 3);
    assert_int_equal(c.last_id, start + 3);
    s.refuse_at = 0;
    next(&c, 64, &s, &more);
    assert_int_equal(s.n, 5);
    assert_int_equal(s.ids[4], start + 5);
}

/* Nobody read the window for a while (the hub forgot it and formatted nothing), then a stream
 * opened: its cursor, positioned inside the old window, reads what was committed meanwhile from
 * the store and then goes on in the restarted window, every event once and in order. */
static void test_a_forgotten_window_starts_again_without_gap_or_repeat(void **state) {
    fixture *f = *state;
    cf_error err;
    assert_int_equal(cf_event_window_refresh(f->win, &err), CF_OK);
    int64_t start = last_event(f);
    create(f, "j_1", "acme");
    assert_int_equal(cf_event_window_refresh(f->win, &err), CF_OK);
    cf_event_cursor c = cursor(f, "acme", start);
    seen s = {0};
    bool more = false;
    next(&c, 64, &s, &more);
    assert_int_equal(s.n, 1);
    cf_event_window_forget(f->win);
    create(f, "j_2", "acme");
    create(f, "j_3", "beta");
    cf_event_window_forget(f->win); /* idempotent */
    next(&c, 64, &s, &more);        /* the window is empty: the store */
    assert_int_equal(s.n, 2);
    create(f, "j_4", "acme");
    assert_int_equal(cf_event_window_refresh(f->win, &err), CF_OK); /* starts again at the newest */
    create(f, "j_5", "acme");
    assert_int_equal(cf_event_window_refresh(f->win, &err), CF_OK);
    next(&c, 64, &s, &more);
    assert_int_equal(s.n, 4);
    assert_int_equal(s.ids[0], start + 1);
    assert_int_equal(s.ids[1], start + 2);
    assert_int_equal(s.ids[2], start + 4);
    assert_int_equal(s.ids[3], start + 5);
    assert_int_equal(c.last_id, start + 5);
    seen again = {0};
    next(&c, 64, &again, &more);
    assert_int_equal(again.n, 0);
}

/* How many times the store's events were read so far (its operation metric). */
static double store_event_reads(void) {
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    cf_metrics_registry_write(out, false);
    fclose(out);
    double n = 0;
    const char *key = "clipforge_store_operation_duration_seconds_count{op=\"events_after\"";
    const char *at = strstr(text, key);
    if (at) n = strtod(strchr(at, '}') + 1, NULL);
    free(text);
    return n;
}

#define MANY_EVENTS 2500
#define MANY_STREAMS 300

/* One stream of many: what it was given, checked as it comes. */
typedef struct stream {
    cf_event_cursor c;
    int64_t start, last;
    size_t got;
    const char *tenant_of; /* tenant_of[id]: 'a' or 'b' */
} stream;

static bool take_in_order(void *ctx, const cf_event_text *ev) {
    stream *s = ctx;
    assert_true(ev->id > s->last);
    assert_true(ev->id <= MANY_EVENTS);
    assert_int_equal(s->tenant_of[ev->id], s->c.tenant[0]);
    assert_memory_equal(ev->sse + ev->sse_len - 2, "\n\n", 2);
    s->last = ev->id;
    s->got++;
    return true;
}

/* Hundreds of streams at scattered positions fall behind a small window while events are
 * committed (the ring turns over many times): each still gets every event of its tenant after
 * its start, in order, once; and the store is read in runs shared by all of them, a handful of
 * reads in all, not one per stream per batch. */
static void test_many_streams_behind_the_window_share_the_store_reads(void **state) {
    fixture *f = *state;
    cf_error err;
    cf_event_window_free(f->win);
    f->win = cf_event_window_new(f->store, 256);
    assert_non_null(f->win);
    static char tenant_of[MANY_EVENTS + 1];
    static stream streams[MANY_STREAMS];
    assert_int_equal(cf_event_window_refresh(f->win, &err), CF_OK); /* primed at 0 */
    for (size_t i = 0; i < MANY_STREAMS; i++) {
        stream *s = &streams[i];
        s->start = s->last = (int64_t)(i * 7 % 500);
        s->c = cursor(f, i % 3 ? "acme" : "beta", s->start);
        s->tenant_of = tenant_of;
    }
    double reads_before = store_event_reads();
    uint64_t runs_before = cf_event_window_store_reads(f->win);
    int passes = 0;
    for (int done = 0; !done; passes++) {
        assert_true(passes < 10000);
        int64_t made = last_event(f);
        for (int k = 0; k < 100 && made < MANY_EVENTS; k++) { /* a commit turn: 100 more */
            char id[32];
            bool a = made % 4 != 1;
            snprintf(id, sizeof id, "j_%lld", (long long)made);
            create(f, id, a ? "acme" : "beta");
            made = last_event(f);
            tenant_of[made] = a ? 'a' : 'b';
        }
        assert_int_equal(cf_event_window_refresh(f->win, &err), CF_OK);
        cf_event_window_pass(f->win);
        done = made == MANY_EVENTS;
        for (size_t i = 0; i < MANY_STREAMS; i++) { /* a pass of the hub: a batch each */
            bool more = false;
            assert_int_equal(cf_event_cursor_next(&streams[i].c, 64, take_in_order, &streams[i], &more, &err),
                             CF_OK);
            if (more || streams[i].c.last_id < made) done = 0;
        }
    }
    for (size_t i = 0; i < MANY_STREAMS; i++) {
        stream *s = &streams[i];
        size_t want = 0;
        for (int64_t id = s->start + 1; id <= MANY_EVENTS; id++) want += tenant_of[id] == s->c.tenant[0];
        assert_int_equal(s->got, want);
        assert_int_equal(s->c.last_id, MANY_EVENTS);
    }
    double reads = store_event_reads() - reads_before;
    uint64_t runs = cf_event_window_store_reads(f->win) - runs_before;
    /* The window's own reads (one per turn) and the runs: nothing else read the store. */
    assert_true(reads <= (double)passes + (double)runs);
    assert_true(runs <= 10); /* 5 here: streams at nearby positions share each run */
    assert_true(reads < MANY_STREAMS / 4);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_window_serves_a_tenant_its_events_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_cursor_behind_the_window_catches_up_without_gap_or_repeat,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_limit_and_refusal_keep_the_position, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_forgotten_window_starts_again_without_gap_or_repeat, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_many_streams_behind_the_window_share_the_store_reads, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
