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

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "clipforge/trace.h"

#define TP "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

static void test_traceparent_round_trips(void **state) {
    (void)state;
    cf_trace_ctx c;
    assert_true(cf_trace_parse(TP, "congo=t61rcWkgMzE", &c));
    assert_int_equal(c.flags, 1);
    assert_int_equal(c.trace_id[0], 0x4b);
    assert_int_equal(c.span_id[7], 0xb7);
    assert_string_equal(c.tracestate, "congo=t61rcWkgMzE");
    char out[CF_TRACEPARENT_LEN + 1];
    cf_trace_format(&c, out);
    assert_string_equal(out, TP);
    char text[CF_TRACE_TEXT_MAX];
    cf_trace_to_text(&c, text);
    assert_string_equal(text, TP " congo=t61rcWkgMzE");
    cf_trace_ctx back;
    assert_true(cf_trace_from_text(text, &back));
    assert_memory_equal(&back, &c, sizeof c);
    char tp[70], ts[CF_TRACESTATE_MAX + 16];
    assert_true(cf_trace_headers(&c, tp, sizeof tp, ts, sizeof ts));
    assert_string_equal(tp, "traceparent: " TP);
    assert_string_equal(ts, "tracestate: congo=t61rcWkgMzE");
}

static void test_malformed_traceparents_are_refused(void **state) {
    (void)state;
    static const char *const bad[] = {
        "",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0",    /* short */
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x", /* v00 with extra */
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",   /* zero trace id */
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",   /* zero span id */
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",   /* upper case */
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",   /* forbidden version */
        "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cf_trace_ctx c;
        assert_false(cf_trace_parse(bad[i], NULL, &c));
        assert_false(cf_trace_ctx_valid(&c));
    }
    cf_trace_ctx c;
    /* A later version may add fields after a dash; its first four are read as version 00. */
    assert_true(cf_trace_parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-abc", NULL, &c));
    /* A tracestate with control characters is not carried on. */
    assert_true(cf_trace_parse(TP, "a=b\nc", &c));
    assert_string_equal(c.tracestate, "");
    assert_false(cf_trace_from_text(TP "x", &c));
}

/* Off (no endpoint): no span without a parent; with one, the parent's context passes through,
 * so outgoing calls still carry the caller's trace. */
static void test_off_propagates_without_recording(void **state) {
    (void)state;
    assert_false(cf_trace_enabled());
    assert_null(cf_span_start("x", CF_SPAN_SERVER, NULL));
    cf_trace_ctx parent;
    assert_true(cf_trace_parse(TP, NULL, &parent));
    cf_span *s = cf_span_start("x", CF_SPAN_SERVER, &parent);
    assert_non_null(s);
    assert_memory_equal(cf_span_ctx(s)->trace_id, parent.trace_id, 16);
    cf_trace_set_current(cf_span_ctx(s), NULL);
    cf_span *inner = cf_span_begin("inner");
    cf_trace_ctx cur;
    cf_trace_current(&cur);
    assert_memory_equal(cur.span_id, parent.span_id, 8);
    cf_span_finish(inner);
    cf_span_end(s);
    cf_trace_set_current(NULL, NULL);
    cf_trace_current(&cur);
    assert_false(cf_trace_ctx_valid(&cur));
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A collector that never answers: a loopback socket that listens and never accepts, so every
 * export waits out its timeout. (A refused port fails each export at once: on a busy machine
 * the exporter then drained the queue about as fast as spans ended, and fewer were dropped at
 * the queue than this test counts on.) Returns the socket; *port gets its port. */
static int silent_collector(int *port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(fd, 1), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

/* A dead collector: ending spans never waits, the full queue drops and counts, and shutdown
 * returns within about one export timeout. Runs last: it turns export on for the process. */
static void test_dead_collector_never_blocks_and_drops_are_counted(void **state) {
    (void)state;
    int port = 0, fd = silent_collector(&port);
    char endpoint[64];
    snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%d", port);
    setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint, 1);
    setenv("OTEL_BSP_MAX_QUEUE_SIZE", "8", 1);
    setenv("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "4", 1);
    setenv("OTEL_BSP_SCHEDULE_DELAY", "50", 1);
    setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "300", 1);
    cf_trace_init("test", NULL);
    assert_true(cf_trace_enabled());
    double t0 = now_s();
    for (int i = 0; i < 1000; i++) {
        cf_span *s = cf_span_begin("work");
        assert_non_null(s);
        cf_span_set_int(s, "i", i);
        cf_span_set_str(s, "s", "v");
        cf_span_finish(s);
    }
    double took = now_s() - t0;
    assert_true(took < 1.0); /* 1000 spans; an export attempt alone may take 300 ms */
    double t1 = now_s();
    cf_trace_shutdown();
    assert_true(now_s() - t1 < 2.0);
    cf_trace_stats st;
    cf_trace_stats_get(&st);
    assert_int_equal(st.exported, 0);
    assert_true(st.dropped_queue > 900);
    assert_int_equal(st.dropped_queue + st.dropped_export, 1000);
    close(fd);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_traceparent_round_trips),
        cmocka_unit_test(test_malformed_traceparents_are_refused),
        cmocka_unit_test(test_off_propagates_without_recording),
        cmocka_unit_test(test_dead_collector_never_blocks_and_drops_are_counted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
