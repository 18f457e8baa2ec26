/* bus_tool.c — cf_bus_tool: drives a cf_bus from the shell, so that multi-process tests can run
 * publishers and consumers as separate processes (and kill them).
 *   cf_bus_tool subscribe URL TOPIC GROUP
 *   cf_bus_tool publish URL TOPIC JOBS FROM COUNT   publishes {"job_id":"j_K","seq":N} for N in
 *                                                  FROM..FROM+COUNT-1, K = N % JOBS
 *   cf_bus_tool consume URL TOPIC GROUP [hold]      prints "SEQ DELIVERIES JOB" per delivery and
 *                                                  acks it (hold: never acks); stops on SIGTERM
 *   cf_bus_tool latency URL TOPIC GROUP COUNT GAP [many]  publishes COUNT messages GAP ms apart
 *                                                  to an idle consumer in the same process and
 *                                                  prints the publish->receive p50, p99 and max
 *                                                  in ms (many: it takes up to 16 at a time) */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clipforge/bus.h"
#include "clipforge/log.h"
#include "infrastructure/backends.h"

static cf_bus *bus;
static atomic_int stop;

static void on_term(int sig) {
    (void)sig;
    atomic_store(&stop, 1);
}

static int publish(const char *topic, int jobs, int from, int count) {
    cf_error err;
    for (int n = from; n < from + count; n++) {
        char payload[96];
        snprintf(payload, sizeof payload, "{\"job_id\":\"j_%d\",\"seq\":%d}", n % jobs, n);
        if (cf_bus_publish(bus, topic, payload, &err)) {
            fprintf(stderr, "cf_bus_tool: publish %d: %s\n", n, err.msg);
            return 1;
        }
    }
    return 0;
}

static void print_delivery(const cf_bus_message *m) {
    const char *job = strstr(m->payload, "\"job_id\":\"");
    const char *seq = strstr(m->payload, "\"seq\":");
    printf("%d %d %.*s\n", seq ? atoi(seq + 6) : -1, m->deliveries, job ? (int)strcspn(job + 10, "\"") : 0,
           job ? job + 10 : "");
    fflush(stdout);
}

static int consume(const char *topic, const char *group, int hold) {
    struct sigaction sa = {.sa_handler = on_term};
    sigaction(SIGTERM, &sa, NULL);
    cf_error err;
    while (!atomic_load(&stop)) {
        cf_bus_message m;
        cf_err rc = cf_bus_receive(bus, topic, group, 200, &m, &err);
        if (rc == CF_ERR_TIMEOUT) continue;
        if (rc) {
            fprintf(stderr, "cf_bus_tool: receive: %s\n", err.msg);
            if (rc == CF_ERR_UNAVAILABLE) continue; /* a broker outage: librdkafka reconnects */
            return 1;
        }
        print_delivery(&m);
        if (!hold && cf_bus_ack(bus, &m, &err)) fprintf(stderr, "cf_bus_tool: ack: %s\n", err.msg);
        cf_bus_message_free(&m);
    }
    return 0;
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

typedef struct probe {
    const char *topic, *group;
    int count;
    double *lat;
    bool many;
} probe;

static void *probe_consume(void *arg) {
    probe *p = arg;
    cf_error err;
    for (int got = 0; got < p->count && !atomic_load(&stop);) {
        cf_bus_message m[16];
        size_t n = 0;
        cf_err rc = cf_bus_receive_many(bus, p->topic, p->group, 200, m, p->many ? 16 : 1, &n, &err);
        if (rc == CF_ERR_TIMEOUT) continue;
        if (rc) {
            fprintf(stderr, "cf_bus_tool: receive: %s\n", err.msg);
            break;
        }
        double at = now_ms();
        for (size_t i = 0; i < n; i++) {
            if (got < p->count) p->lat[got++] = at - strtod(m[i].payload, NULL);
            cf_bus_ack(bus, &m[i], &err);
            cf_bus_message_free(&m[i]);
        }
    }
    return NULL;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int latency(const char *topic, const char *group, int count, int gap_ms, bool many) {
    cf_error err;
    if (count < 1 || cf_bus_subscribe(bus, topic, group, &err)) return 1;
    probe p = {topic, group, count, calloc((size_t)count, sizeof(double)), many};
    pthread_t t;
    if (!p.lat || pthread_create(&t, NULL, probe_consume, &p)) return 1;
    struct timespec gap = {gap_ms / 1000, (long)(gap_ms % 1000) * 1000000L};
    nanosleep(&gap, NULL);
    for (int i = 0; i < count; i++) {
        char payload[64];
        snprintf(payload, sizeof payload, "%.3f", now_ms());
        if (cf_bus_publish(bus, topic, payload, &err)) fprintf(stderr, "cf_bus_tool: publish: %s\n", err.msg);
        nanosleep(&gap, NULL);
    }
    pthread_join(t, NULL);
    qsort(p.lat, (size_t)count, sizeof(double), cmp_double);
    printf("p50 %.2f p99 %.2f max %.2f ms\n", p.lat[count / 2], p.lat[(count * 99) / 100], p.lat[count - 1]);
    free(p.lat);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: cf_bus_tool subscribe|publish|consume URL TOPIC ...\n");
        return 2;
    }
    cf_log_init_from_env();
    cf_backends_register();
    cf_error err;
    if (cf_bus_open(argv[2], &bus, &err)) {
        fprintf(stderr, "cf_bus_tool: %s\n", err.msg);
        return 1;
    }
    int rc = 2;
    if (!strcmp(argv[1], "subscribe")) {
        rc = cf_bus_subscribe(bus, argv[3], argv[4], &err) ? 1 : 0;
        if (rc) fprintf(stderr, "cf_bus_tool: subscribe: %s\n", err.msg);
    } else if (!strcmp(argv[1], "publish") && argc == 7) {
        rc = publish(argv[3], atoi(argv[4]), atoi(argv[5]), atoi(argv[6]));
    } else if (!strcmp(argv[1], "consume")) {
        rc = consume(argv[3], argv[4], argc > 5 && !strcmp(argv[5], "hold"));
    } else if (!strcmp(argv[1], "latency") && (argc == 7 || argc == 8)) {
        rc = latency(argv[3], argv[4], atoi(argv[5]), atoi(argv[6]), argc == 8 && !strcmp(argv[7], "many"));
    }
    cf_bus_close(bus);
    return rc;
}
