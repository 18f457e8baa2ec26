/* The message bus contract: every cf_bus backend must pass these tests. The backend comes from
 * CF_CONTRACT_BUS_URL, a URL with one "%s" replaced per test by a fresh namespace and an
 * ack_timeout_ms of 400. With CF_CONTRACT_BUS_SHARED=1 (the backend is a server that several
 * processes share) two handles on one URL are two consumers of the same groups. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "clipforge/bus.h"
#include "infrastructure/backends.h"

static int serial;
static char url[1024];

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int setup(void **state) {
    (void)state;
    const char *tmpl = getenv("CF_CONTRACT_BUS_URL");
    const char *hole = strstr(tmpl, "%s");
    if (!hole) return -1;
    char name[64];
    snprintf(name, sizeof name, "t%d_%d", (int)getpid(), ++serial);
    snprintf(url, sizeof url, "%.*s%s%s", (int)(hole - tmpl), tmpl, name, hole + 2);
    return 0;
}

static cf_bus *open_bus(void) {
    cf_backends_register();
    cf_bus *b = NULL;
    cf_error err;
    if (cf_bus_open(url, &b, &err)) fail_msg("cannot open %s: %s", url, err.msg);
    return b;
}

static bool shared(void) {
    const char *s = getenv("CF_CONTRACT_BUS_SHARED");
    return s && !strcmp(s, "1");
}

static void expect(cf_bus *b, const char *topic, const char *group, const char *payload, int deliveries,
                   cf_bus_message *m) {
    cf_error err;
    cf_err rc = cf_bus_receive(b, topic, group, 3000, m, &err);
    if (rc) fail_msg("receive %s/%s: %s", topic, group, err.msg);
    assert_string_equal(m->payload, payload);
    assert_string_equal(m->topic, topic);
    assert_string_equal(m->group, group);
    assert_int_equal(m->deliveries, deliveries);
}

static void test_groups_fan_out_and_ack_is_once(void **state) {
    (void)state;
    cf_bus *b = open_bus();
    cf_error err;
    assert_int_equal(cf_bus_subscribe(b, "jobs", "workers", &err), CF_OK);
    assert_int_equal(cf_bus_subscribe(b, "jobs", "workers", &err), CF_OK); /* idempotent */
    assert_int_equal(cf_bus_subscribe(b, "jobs", "audit", &err), CF_OK);
    assert_int_equal(cf_bus_publish(b, "jobs", "one", &err), CF_OK);
    cf_bus_message m;
    expect(b, "jobs", "workers", "one", 1, &m);
    assert_int_equal(cf_bus_ack(b, &m, &err), CF_OK);
    assert_int_equal(cf_bus_ack(b, &m, &err), CF_ERR_NOT_FOUND);
    cf_bus_message_free(&m);
    expect(b, "jobs", "audit", "one", 1, &m);
    assert_int_equal(cf_bus_ack(b, &m, &err), CF_OK);
    cf_bus_message_free(&m);
    assert_int_equal(cf_bus_receive(b, "jobs", "workers", 50, &m, &err), CF_ERR_TIMEOUT);
    assert_int_equal(cf_bus_receive(b, "jobs", "nobody", 50, &m, &err), CF_ERR_NOT_FOUND);
    cf_bus_close(b);
}

static void test_payload_and_order_are_kept(void **state) {
    (void)state;
    cf_bus *b = open_bus();
    cf_error err;
    cf_bus_subscribe(b, "t", "g", &err);
    const char *payloads[] = {"{\"id\":\"j_1\",\"text\":\"line\\nnext \\u00e9\"}", "2", "three"};
    for (int i = 0; i < 3; i++) assert_int_equal(cf_bus_publish(b, "t", payloads[i], &err), CF_OK);
    for (int i = 0; i < 3; i++) {
        cf_bus_message m;
        expect(b, "t", "g", payloads[i], 1, &m);
        assert_int_equal(cf_bus_ack(b, &m, &err), CF_OK);
        cf_bus_message_free(&m);
    }
    cf_bus_close(b);
}

/* The trace context header travels beside the payload, survives redelivery (a nack), and a
 * message published without one has none. The two messages are two jobs' and may come in either
 * order (kafka keeps the order per job). */
/* publish_many, receive_many, ack_many: the messages published at once arrive in order; up to
 * max of those waiting are taken at once (several, by a backend that can); each is delivered
 * once, acked at once; none waiting is a timeout. */
static void test_receive_many_takes_what_is_waiting(void **state) {
    (void)state;
    cf_bus *b = open_bus();
    cf_error err;
    cf_bus_subscribe(b, "t", "g", &err);
    const char *payloads[] = {"a", "b", "c", "d", "e"};
    const char *traces[] = {NULL, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", NULL, NULL,
                            NULL};
    size_t sent = 0;
    assert_int_equal(cf_bus_publish_many(b, "t", payloads, traces, 5, &sent, &err), CF_OK);
    assert_int_equal(sent, 5);
    int got = 0, calls = 0;
    while (got < 5) {
        cf_bus_message m[4];
        size_t n = 0;
        assert_int_equal(cf_bus_receive_many(b, "t", "g", 5000, m, 4, &n, &err), CF_OK);
        assert_true(n >= 1 && n <= 4);
        if (calls++ == 0 && b->m->receive_many) assert_int_equal(n, 4);
        for (size_t i = 0; i < n; i++) {
            assert_true(got < 5);
            if (got == 1 && b->m->publish_traced) assert_string_equal(m[i].trace_context, traces[1]);
            assert_string_equal(m[i].payload, payloads[got++]);
            assert_int_equal(m[i].deliveries, 1);
        }
        assert_int_equal(cf_bus_ack_many(b, m, n, &err), CF_OK);
        if (n > 1) assert_int_equal(cf_bus_ack_many(b, m, n, &err), CF_ERR_NOT_FOUND); /* acked already */
        for (size_t i = 0; i < n; i++) cf_bus_message_free(&m[i]);
    }
    cf_bus_message m[4];
    size_t n = 9;
    assert_int_equal(cf_bus_receive_many(b, "t", "g", 50, m, 4, &n, &err), CF_ERR_TIMEOUT);
    assert_int_equal(n, 0);
    cf_bus_close(b);
}

static void test_trace_context_travels_with_the_message(void **state) {
    (void)state;
    cf_bus *b = open_bus();
    cf_error err;
    cf_bus_subscribe(b, "t", "g", &err);
    const char *tc = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 vendor=a b,c=d";
    assert_int_equal(cf_bus_publish_traced(b, "t", "j_1", tc, &err), CF_OK);
    assert_int_equal(cf_bus_publish(b, "t", "j_2", &err), CF_OK);
    int traced = 0;
    bool untraced = false;
    while (traced < 2 || !untraced) {
        cf_bus_message m;
        assert_int_equal(cf_bus_receive(b, "t", "g", 3000, &m, &err), CF_OK);
        if (!strcmp(m.payload, "j_2")) {
            assert_false(untraced);
            assert_null(m.trace_context);
            untraced = true;
            assert_int_equal(cf_bus_ack(b, &m, &err), CF_OK);
        } else {
            assert_string_equal(m.payload, "j_1");
            assert_non_null(m.trace_context);
            assert_string_equal(m.trace_context, tc);
            assert_int_equal(m.deliveries, ++traced);
            if (traced == 1) assert_int_equal(cf_bus_nack(b, &m, 0, &err), CF_OK);
            else assert_int_equal(cf_bus_ack(b, &m, &err), CF_OK);
        }
        cf_bus_message_free(&m);
    }
    cf_bus_close(b);
}

static void test_unacked_message_is_redelivered_after_ack_timeout(void **state) {
    (void)state;
    cf_bus *b = open_bus();
    cf_error err;
    cf_bus_subscribe(b, "t", "g", &err);
    cf_bus_publish(b, "t", "x", &err);
    cf_bus_message m;
    expect(b, "t", "g", "x", 1, &m);
    cf_bus_message_free(&m); /* the consumer "died" without acking */
    int64_t t0 = now_ms();
    expect(b, "t", "g", "x", 2, &m);
    assert_true(now_ms() - t0 >= 250); /* not before the ack timeout (400 ms) */
    assert_int_equal(cf_bus_ack(b, &m, &err), CF_OK);
    cf_bus_message_free(&m);
    assert_int_equal(cf_bus_receive(b, "t", "g", 700, &m, &err), CF_ERR_TIMEOUT);
    cf_bus_close(b);
}

static void test_nack_redelivers_after_delay(void **state) {
    (void)state;
    cf_bus *b = open_bus();
    cf_error err;
    cf_bus_subscribe(b, "t", "g", &err);
    cf_bus_publish(b, "t", "x", &err);
    cf_bus_message m;
    expect(b, "t", "g", "x", 1, &m);
    int64_t t0 = now_ms();
    assert_int_equal(cf_bus_nack(b, &m, 300, &err), CF_OK);
    cf_bus_message_free(&m);
    /* Hidden for the delay: measured on the redelivery, not assumed from a short receive timing
     * out (a test thread stalled past the delay would see the message there). */
    expect(b, "t", "g", "x", 2, &m);
    int64_t waited = now_ms() - t0;
    assert_true(waited >= 250);
    assert_true(waited < 2000);
    assert_int_equal(cf_bus_ack(b, &m, &err), CF_OK);
    cf_bus_message_free(&m);
    cf_bus_close(b);
}

static void *publish_later(void *arg) {
    usleep(100000);
    cf_error err;
    cf_bus_publish(arg, "t", "late", &err);
    return NULL;
}

static void *shutdown_later(void *arg) {
    usleep(100000);
    cf_bus_shutdown(arg);
    return NULL;
}

static void test_receive_wakes_on_publish_and_on_shutdown(void **state) {
    (void)state;
    cf_bus *b = open_bus();
    cf_error err;
    cf_bus_subscribe(b, "t", "g", &err);
    cf_bus_message m;
    /* Not timed: a first receive joins the group (kafka: a rebalance of some seconds). */
    assert_int_equal(cf_bus_receive(b, "t", "g", 50, &m, &err), CF_ERR_TIMEOUT);
    pthread_t th;
    pthread_create(&th, NULL, publish_later, b);
    int64_t t0 = now_ms();
    expect(b, "t", "g", "late", 1, &m);
    assert_true(now_ms() - t0 < 2000);
    cf_bus_ack(b, &m, &err);
    cf_bus_message_free(&m);
    pthread_join(th, NULL);
    pthread_create(&th, NULL, shutdown_later, b);
    t0 = now_ms();
    assert_int_equal(cf_bus_receive(b, "t", "g", 10000, &m, &err), CF_ERR_UNAVAILABLE);
    assert_true(now_ms() - t0 < 2000);
    pthread_join(th, NULL);
    assert_int_equal(cf_bus_receive(b, "t", "g", 10, &m, &err), CF_ERR_UNAVAILABLE);
    cf_bus_close(b);
}

#define MESSAGES 40

static atomic_int seen[MESSAGES]; /* deliveries of each message, over all consumers */
static atomic_int distinct;       /* messages delivered at least once */

typedef struct consumer {
    cf_bus *bus;
    int first[MESSAGES]; /* first deliveries (deliveries == 1) this consumer got */
    int count;
} consumer;

/* Takes messages until every one was taken (by anyone) and a short wait brings nothing more,
 * or for at most 20 s on a loaded machine. */
static void *consume(void *arg) {
    consumer *c = arg;
    cf_bus_message m;
    cf_error err;
    int64_t deadline = now_ms() + 20000;
    while (now_ms() < deadline) {
        cf_err rc = cf_bus_receive(c->bus, "t", "g", 300, &m, &err);
        if (rc == CF_ERR_TIMEOUT && atomic_load(&distinct) >= MESSAGES) break;
        if (rc) continue;
        int i = atoi(m.payload);
        if (i >= 0 && i < MESSAGES) {
            if (m.deliveries == 1) c->first[i]++;
            if (atomic_fetch_add(&seen[i], 1) == 0) atomic_fetch_add(&distinct, 1);
        }
        c->count++;
        cf_bus_ack(c->bus, &m, &err);
        cf_bus_message_free(&m);
    }
    return NULL;
}

/* Competing consumers of one group share the messages: each is handed out once. A consumer
 * stalled past the ack timeout (a loaded machine) gets its message redelivered, at least once
 * being the contract; such a repeat must say so (deliveries > 1), so the test counts first
 * deliveries and does not fail on a legitimate redelivery. */
static void test_competing_consumers_share_the_work(void **state) {
    (void)state;
    cf_bus *a = open_bus();
    cf_bus *b = shared() ? open_bus() : a;
    cf_error err;
    cf_bus_subscribe(a, "t", "g", &err);
    cf_bus_subscribe(b, "t", "g", &err);
    consumer ca = {.bus = a}, cb = {.bus = b};
    for (int i = 0; i < MESSAGES; i++) atomic_store(&seen[i], 0);
    atomic_store(&distinct, 0);
    pthread_t ta, tb;
    pthread_create(&ta, NULL, consume, &ca);
    pthread_create(&tb, NULL, consume, &cb);
    for (int i = 0; i < MESSAGES; i++) {
        char p[16];
        snprintf(p, sizeof p, "%d", i);
        assert_int_equal(cf_bus_publish(a, "t", p, &err), CF_OK);
    }
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    int redelivered = 0;
    for (int i = 0; i < MESSAGES; i++) {
        assert_int_equal(ca.first[i] + cb.first[i], 1);
        redelivered += atomic_load(&seen[i]) - 1;
    }
    assert_int_equal(ca.count + cb.count, MESSAGES + redelivered);
    if (redelivered) fprintf(stderr, "%d message(s) redelivered after a late ack\n", redelivered);
    if (b != a) cf_bus_close(b);
    cf_bus_close(a);
}

/* A consumer that dies with a message in hand: another process's consumer takes it over. */
static void test_other_consumer_takes_over_from_a_dead_one(void **state) {
    (void)state;
    if (!shared()) skip();
    cf_bus *dead = open_bus(), *alive = open_bus();
    cf_error err;
    cf_bus_subscribe(alive, "t", "g", &err);
    cf_bus_publish(alive, "t", "work", &err);
    cf_bus_message m;
    expect(dead, "t", "g", "work", 1, &m);
    cf_bus_message_free(&m);
    cf_bus_close(dead); /* gone without acking */
    expect(alive, "t", "g", "work", 2, &m);
    assert_int_equal(cf_bus_ack(alive, &m, &err), CF_OK);
    cf_bus_message_free(&m);
    cf_bus_close(alive);
}

static void test_bad_urls_are_errors(void **state) {
    (void)state;
    cf_backends_register();
    cf_bus *b = NULL;
    cf_error err;
    const char *scheme_end = strchr(url, ':');
    char bad[1100];
    snprintf(bad, sizeof bad, "%.*s%sack_timeout_ms=abc", (int)(scheme_end - url + 1), url,
             strncmp(url, "memory", 6) ? "//127.0.0.1:1?" : "?");
    assert_int_equal(cf_bus_open(bad, &b, &err), CF_ERR_INVALID_ARGUMENT);
    assert_null(b);
}

int main(void) {
    if (!getenv("CF_CONTRACT_BUS_URL")) {
        fprintf(stderr, "CF_CONTRACT_BUS_URL is not set\n");
        return 2;
    }
    fprintf(stderr, "bus contract on %s\n", getenv("CF_CONTRACT_BUS_URL"));
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, NULL)
    const struct CMUnitTest tests[] = {
        T(test_groups_fan_out_and_ack_is_once),
        T(test_payload_and_order_are_kept),
        T(test_receive_many_takes_what_is_waiting),
        T(test_trace_context_travels_with_the_message),
        T(test_unacked_message_is_redelivered_after_ack_timeout),
        T(test_nack_redelivers_after_delay),
        T(test_receive_wakes_on_publish_and_on_shutdown),
        T(test_competing_consumers_share_the_work),
        T(test_other_consumer_takes_over_from_a_dead_one),
        T(test_bad_urls_are_errors),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
