/* kafka_mock.c — cf_kafka_mock: a Kafka cluster for tests, librdkafka's built-in mock cluster, in
 * its own process so that the processes under test reach it over TCP like a real one.
 * Usage: cf_kafka_mock [BROKERS] (3 by default). Prints the bootstrap servers ("host:port,...")
 * on one line of stdout, then reads commands on stdin, one a line: "down N" / "up N" take broker
 * N (1..BROKERS) down (its connections closed, new ones refused) or bring it back; each is
 * answered "ok" or "error". It stops, freeing everything, when stdin closes. */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Runs one command line; returns 0 when it was understood and done. */
static int command(rd_kafka_mock_cluster_t *mc, int brokers, const char *line) {
    char verb[8];
    int id;
    if (sscanf(line, "%7s %d", verb, &id) != 2 || id < 1 || id > brokers) return -1;
    if (!strcmp(verb, "down")) return rd_kafka_mock_broker_set_down(mc, id) ? -1 : 0;
    if (!strcmp(verb, "up")) return rd_kafka_mock_broker_set_up(mc, id) ? -1 : 0;
    return -1;
}

int main(int argc, char **argv) {
    int brokers = argc > 1 ? atoi(argv[1]) : 3;
    if (brokers < 1 || brokers > 16) {
        fprintf(stderr, "usage: cf_kafka_mock [BROKERS 1..16]\n");
        return 2;
    }
    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (getenv("CF_KAFKA_DEBUG"))
        rd_kafka_conf_set(conf, "debug", getenv("CF_KAFKA_DEBUG"), errstr, sizeof errstr);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        fprintf(stderr, "cf_kafka_mock: %s\n", errstr);
        return 1;
    }
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
    if (!mc) {
        fprintf(stderr, "cf_kafka_mock: cannot start the mock cluster\n");
        rd_kafka_destroy(rk);
        return 1;
    }
    printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
    fflush(stdout);
    char line[128];
    while (fgets(line, sizeof line, stdin)) {
        printf("%s\n", command(mc, brokers, line) ? "error" : "ok");
        fflush(stdout);
    }
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
    rd_kafka_wait_destroyed(5000);
    return 0;
}
