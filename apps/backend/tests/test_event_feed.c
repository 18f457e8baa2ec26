/* The event window (api/event_feed.h) on a real SQLite store: the window starts at the store's
 * newest event and holds only what it read after; a cursor inside it gets its tenant's events
 * (or its job's) in order, each as the SSE message "id: N\nevent: T\ndata: JSON\n\n" whose JSON
 * is the Event; a cursor behind it reads the store and then goes on in the window with no event
 * twice and none missed; a batch limit sets *more; a sink that refuses leaves the cursor before
 * the event it refused; a window emptied while no stream read it (cf_event_window_forget) and
 * started again later leaves a cursor from before with no event twice and none missed; hundreds
 * of streams behind a small window that turns over many times each get every event of theirs,
 * while the store is read a handful of times for all of them; streams far apart behind the
 * window are served in turn, none waiting more than a few passes whatever its place in the
 * hub's list; and hundreds of streams of a few jobs behind the window read the store once per
 * job, not once each. */
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

/* A pass of the stream hub: the runs the waiting streams asked for are read. */
static void pass(fixture *f) {
    cf_error err;
    assert_int_equal(cf_event_window_pass(f->win, &err), CF_OK);
}

/* Passes and batches of up to max until the cursor has nothing more (a stream behind the window
 * waits a pass for its run). */
static void drain(fixture *f, cf_event_cursor *c, size_t max, seen *s) {
    bool more = true;
    for (int round = 0; round < 20 && more; round++) {
        pass(f);
        next(c, max, s, &more);
    }
    assert_false(more);
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
    next(&c, 1, &s, &more); /* no run read yet: it waits for the next pass */
    assert_int_equal(s.n, 0);
    assert_true(more);
    assert_true(c.waiting > 0);
    drain(f, &c, 1, &s);
    assert_int_equal(s.n, 4);
    assert_int_equal(c.waiting, 0);
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
    drain(f, &c, 64, &s);           /* the window is empty: a run from the store */
    assert_int_equal(s.n, 2);
    create(f, "j_4", "acme");
    assert_int_equal(cf_event_window_refresh(f->win, &err), CF_OK); /* starts again at the newest */
    create(f, "j_5", "acme");
    assert_int_equal(cf_event_window_refresh(f->win, &err), CF_OK);
    drain(f, &c, 64, &s); /* from the run it had, then a new one up to the window, then the window */
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
        pass(f);
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

/* Creates n jobs, the i-th of tenant_of(i), in one transaction (one JobRequested event each). */
static void create_batch(fixture *f, size_t n, const char *(*tenant_of)(int64_t event)) {
    cf_job_submission *subs = calloc(n, sizeof *subs);
    char(*ids)[32] = calloc(n, sizeof *ids);
    assert_true(subs && ids);
    int64_t first = last_event(f) + 1;
    for (size_t i = 0; i < n; i++) {
        snprintf(ids[i], sizeof ids[i], "j_%lld", (long long)first + (long long)i);
        subs[i].in = (cf_job_new){.id = ids[i],
                                  .kind = "noop",
                                  .request = "{}",
                                  .tenant = tenant_of(first + (int64_t)i),
                                  .now = 1000};
    }
    cf_error err;
    assert_int_equal(cf_store_job_create_many(f->store, subs, n, &err), CF_OK);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(subs[i].rc, CF_OK);
        cf_job_record_free(&subs[i].out);
    }
    assert_int_equal(last_event(f), first + (int64_t)n - 1);
    free(subs);
    free(ids);
}

#define HUB_ROUNDS 8 /* batches a stream may take per pass of the hub, as ws.c's pump */

/* A stream of the pass tests: what it was given, checked as it comes (its tenant's events, or
 * its job's: job_of[id] names the job of each event, -1 for none watched). */
typedef struct follower {
    cf_event_cursor c;
    char job[32];
    int watch;             /* the index of its job, or -1: a stream of its tenant */
    const char *tenant_of; /* tenant_of[id]: 'a' or 'b' */
    const signed char *job_of;
    int64_t start, last, newest;
    size_t got;
    bool more;
    int waited, worst; /* passes in a row with no progress while behind; the most */
} follower;

static bool follow(void *ctx, const cf_event_text *ev) {
    follower *s = ctx;
    assert_true(ev->id > s->last);
    assert_true(ev->id <= s->newest);
    if (s->watch >= 0) assert_int_equal(s->job_of[ev->id], s->watch);
    else assert_int_equal(s->tenant_of[ev->id], s->c.tenant[0]);
    s->last = ev->id;
    s->got++;
    return true;
}

/* One pass of the stream hub over streams, in their order: each takes up to HUB_ROUNDS batches
 * while more may follow. Counts the passes each stream behind made no progress in. */
static void hub_pass(fixture *f, follower *streams, size_t n, int64_t newest) {
    pass(f);
    for (size_t i = 0; i < n; i++) {
        follower *s = &streams[i];
        int64_t before = s->c.last_id;
        s->newest = newest;
        s->more = true;
        for (int round = 0; round < HUB_ROUNDS && s->more; round++) {
            cf_error err;
            assert_int_equal(cf_event_cursor_next(&s->c, 64, follow, s, &s->more, &err), CF_OK);
        }
        bool behind = s->more || s->c.last_id < newest;
        s->waited = behind && s->c.last_id == before ? s->waited + 1 : 0;
        if (s->waited > s->worst) s->worst = s->waited;
    }
}

#define FAR_STREAMS 16
#define FAR_APART 4096 /* events between two streams' positions: two runs */
#define FAR_EVENTS (FAR_STREAMS * FAR_APART)

#define QUIET 4 /* one event in QUIET is the quiet tenant's */

static const char *quiet_beta(int64_t event) {
    return event % QUIET ? "acme" : "beta";
}

/* Streams of a quiet tenant at positions far apart behind the window (a mass reconnect): each
 * needs runs of its own, more than a pass reads. Each is served in turn whatever its place in the
 * hub's list: none waits more than a few passes for its next run (before, the first streams took
 * every read of each pass as they went, and the last one waited until they reached it), and each
 * gets every event of its tenant after its position, in order, once. */
static void test_streams_far_apart_behind_the_window_each_wait_a_few_passes(void **state) {
    fixture *f = *state;
    cf_error err;
    cf_event_window_free(f->win);
    f->win = cf_event_window_new(f->store, 256);
    assert_non_null(f->win);
    static char tenant_of[FAR_EVENTS + 1];
    for (int64_t made = 0; made < FAR_EVENTS; made += 1024) create_batch(f, 1024, quiet_beta);
    for (int64_t id = 1; id <= FAR_EVENTS; id++) tenant_of[id] = quiet_beta(id)[0];
    assert_int_equal(cf_event_window_refresh(f->win, &err), CF_OK); /* primed at the newest */
    static follower streams[FAR_STREAMS];
    for (size_t i = 0; i < FAR_STREAMS; i++) {
        follower *s = &streams[i];
        *s = (follower){.watch = -1, .tenant_of = tenant_of, .start = (int64_t)i * FAR_APART};
        s->last = s->start;
        s->c = cursor(f, "beta", s->start);
    }
    uint64_t runs_before = cf_event_window_store_reads(f->win);
    int passes = 0;
    for (bool done = false; !done; passes++) {
        assert_true(passes < 1000);
        uint64_t before = cf_event_window_store_reads(f->win);
        hub_pass(f, streams, FAR_STREAMS, FAR_EVENTS);
        assert_true(cf_event_window_store_reads(f->win) - before <= 4); /* the runs a pass reads */
        done = true;
        for (size_t i = 0; i < FAR_STREAMS; i++) done = done && !streams[i].more;
    }
    int worst = 0;
    for (size_t i = 0; i < FAR_STREAMS; i++) {
        follower *s = &streams[i];
        assert_int_equal(s->c.last_id, FAR_EVENTS);
        assert_int_equal(s->got, (size_t)(FAR_EVENTS - s->start) / QUIET);
        if (s->worst > worst) worst = s->worst;
    }
    uint64_t runs = cf_event_window_store_reads(f->win) - runs_before;
    printf("far apart: %d passes, %llu runs read, the longest wait %d passes\n", passes,
           (unsigned long long)runs, worst);
    /* A stream waits 4 passes at most before it comes first, then behind at most the 15 others'
     * runs, 4 a pass: 6 passes here (12 when each pass served the first streams of the list). */
    assert_true(worst <= 4 + FAR_STREAMS / 4);
    /* 92 here, 32 at the least: streams that do not meet read the same runs at other times. */
    assert_true(runs <= FAR_EVENTS / 2048 * 4);
}

#define JOB_STREAMS 300
#define WATCHED 10
#define JOB_EVENTS 2500

static const char *acme(int64_t event) {
    (void)event;
    return "acme";
}

/* Adds one event to each watched job: cancelled when queued, queued again when cancelled. */
static void touch_watched(fixture *f, signed char *job_of, int round) {
    for (int j = 0; j < WATCHED; j++) {
        char id[32];
        snprintf(id, sizeof id, "w_%d", j);
        cf_job_record out;
        cf_error err;
        cf_err rc = round % 2 ? cf_store_job_retry(f->store, id, 2000, &out, &err)
                              : cf_store_job_cancel(f->store, id, 2000, &out, &err);
        assert_int_equal(rc, CF_OK);
        cf_job_record_free(&out);
        job_of[last_event(f)] = (signed char)j;
    }
}

/* Hundreds of streams of a few jobs (?job_id=) at scattered positions behind the window, while
 * more events are committed: each gets every event of its job after its position, in order,
 * once; and the store is read about once per job for all of them (before, each stream read it
 * on its own). */
static void test_many_job_streams_behind_the_window_share_the_store_reads(void **state) {
    fixture *f = *state;
    cf_error err;
    cf_event_window_free(f->win);
    f->win = cf_event_window_new(f->store, 256);
    assert_non_null(f->win);
    static signed char job_of[JOB_EVENTS + 1];
    memset(job_of, -1, sizeof job_of);
    for (int j = 0; j < WATCHED; j++) {
        char id[32];
        snprintf(id, sizeof id, "w_%d", j);
        create(f, id, "acme");
        job_of[last_event(f)] = (signed char)j;
    }
    int round = 0;
    while (last_event(f) + 100 <= JOB_EVENTS - 500) { /* the past: 90 others' events, 10 watched */
        create_batch(f, 90, acme);
        touch_watched(f, job_of, round++);
    }
    assert_int_equal(cf_event_window_refresh(f->win, &err), CF_OK); /* primed at the newest */
    static follower streams[JOB_STREAMS];
    for (size_t i = 0; i < JOB_STREAMS; i++) {
        follower *s = &streams[i];
        *s = (follower){.watch = (int)(i % WATCHED), .job_of = job_of, .start = (int64_t)(i * 7 % 1800)};
        snprintf(s->job, sizeof s->job, "w_%d", s->watch);
        s->last = s->start;
        s->c = cursor(f, "acme", s->start);
        s->c.job_id = s->job;
    }
    double reads_before = store_event_reads();
    uint64_t runs_before = cf_event_window_store_reads(f->win);
    int passes = 0;
    for (bool done = false; !done; passes++) {
        assert_true(passes < 100);
        if (last_event(f) + 100 <= JOB_EVENTS) { /* a commit turn while they catch up */
            create_batch(f, 90, acme);
            touch_watched(f, job_of, round++);
        }
        assert_int_equal(cf_event_window_refresh(f->win, &err), CF_OK);
        int64_t newest = last_event(f);
        hub_pass(f, streams, JOB_STREAMS, newest);
        done = newest + 100 > JOB_EVENTS;
        for (size_t i = 0; i < JOB_STREAMS; i++)
            done = done && !streams[i].more && streams[i].c.last_id == newest;
    }
    int64_t newest = last_event(f);
    for (size_t i = 0; i < JOB_STREAMS; i++) {
        follower *s = &streams[i];
        size_t want = 0;
        for (int64_t id = s->start + 1; id <= newest; id++) want += job_of[id] == s->watch;
        assert_true(want > 0);
        assert_int_equal(s->got, want);
    }
    double reads = store_event_reads() - reads_before;
    uint64_t runs = cf_event_window_store_reads(f->win) - runs_before;
    printf("job streams: %d passes, %.0f store reads, %llu runs\n", passes, reads, (unsigned long long)runs);
    /* The window's own reads (one per turn) and the runs: nothing else read the store. */
    assert_true(reads <= (double)passes + (double)runs);
    assert_true(runs <= 2 * WATCHED); /* 10 here: one per job, after the lowest of its streams */
    assert_true(reads < JOB_STREAMS / 4);
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
        cmocka_unit_test_setup_teardown(test_streams_far_apart_behind_the_window_each_wait_a_few_passes,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_job_streams_behind_the_window_share_the_store_reads, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
