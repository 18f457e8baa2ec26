/* test_new_id.c — cf_new_id: prefix + 16 lowercase hex digits, no repeats across many ids and
 * threads, and a forked child does not repeat
 * the ids its parent draws next (the random bytes come in per-thread batches); cf_new_ordered_id:
 * prefix + the time in 11 hex digits + 16 random ones, no repeats, and an id drawn a
 * millisecond later sorts after. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "application/app.h"

#define MANY 20000

static int by_text(const void *a, const void *b) {
    return strcmp((const char *)a, (const char *)b);
}

static void test_ids_have_their_form_and_do_not_repeat(void **state) {
    (void)state;
    char(*ids)[24] = calloc(MANY, sizeof *ids);
    assert_non_null(ids);
    for (size_t i = 0; i < MANY; i++) {
        cf_new_id("j_", ids[i], sizeof ids[i]);
        assert_int_equal(strlen(ids[i]), 18);
        assert_memory_equal(ids[i], "j_", 2);
        assert_int_equal(strspn(ids[i] + 2, "0123456789abcdef"), 16);
    }
    qsort(ids, MANY, sizeof *ids, by_text);
    for (size_t i = 1; i < MANY; i++) assert_string_not_equal(ids[i - 1], ids[i]);
    free(ids);
}

typedef struct batch {
    char ids[MANY / 2][24];
} batch;

static void *draw(void *arg) {
    batch *b = arg;
    for (size_t i = 0; i < MANY / 2; i++) cf_new_id("m_", b->ids[i], sizeof b->ids[i]);
    return NULL;
}

static void test_threads_draw_different_ids(void **state) {
    (void)state;
    batch *b = calloc(2, sizeof *b);
    assert_non_null(b);
    pthread_t t[2];
    for (int i = 0; i < 2; i++) assert_int_equal(pthread_create(&t[i], NULL, draw, &b[i]), 0);
    for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
    char(*all)[24] = b[0].ids; /* both batches, one after the other */
    qsort(all, MANY, sizeof *all, by_text);
    for (size_t i = 1; i < MANY; i++) assert_string_not_equal(all[i - 1], all[i]);
    free(b);
}

static void test_a_forked_child_does_not_repeat_its_parents_ids(void **state) {
    (void)state;
    char first[24], parent_next[24], child_next[24] = "";
    cf_new_id("j_", first, sizeof first); /* the batch is drawn: the next ids are in memory */
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char id[24];
        cf_new_id("j_", id, sizeof id);
        ssize_t w = write(fds[1], id, sizeof id);
        _exit(w == (ssize_t)sizeof id ? 0 : 1);
    }
    close(fds[1]);
    cf_new_id("j_", parent_next, sizeof parent_next);
    assert_int_equal(read(fds[0], child_next, sizeof child_next), (ssize_t)sizeof child_next);
    close(fds[0]);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(strlen(child_next), 18);
    assert_string_not_equal(child_next, parent_next);
    assert_string_not_equal(child_next, first);
}

static void test_ordered_ids_sort_by_time_and_do_not_repeat(void **state) {
    (void)state;
    char(*ids)[40] = calloc(MANY, sizeof *ids);
    assert_non_null(ids);
    int64_t before = cf_now_ms();
    for (size_t i = 0; i < MANY; i++) {
        if (i && i % 5000 == 0) nanosleep(&(struct timespec){0, 2000000}, NULL);
        cf_new_ordered_id("j_", ids[i], sizeof ids[i]);
        assert_int_equal(strlen(ids[i]), 2 + 11 + 16);
        assert_memory_equal(ids[i], "j_", 2);
        assert_int_equal(strspn(ids[i] + 2, "0123456789abcdef"), 27);
    }
    int64_t after = cf_now_ms();
    char t[12];
    memcpy(t, ids[0] + 2, 11);
    t[11] = '\0';
    int64_t at = (int64_t)strtoll(t, NULL, 16);
    assert_true(at >= before && at <= after);
    /* ids of different milliseconds sort by them: each 5000th id came 2 ms after the one before */
    for (size_t i = 5000; i < MANY; i += 5000) assert_true(strcmp(ids[i - 1], ids[i]) < 0);
    qsort(ids, MANY, sizeof *ids, by_text);
    for (size_t i = 1; i < MANY; i++) assert_string_not_equal(ids[i - 1], ids[i]);
    free(ids);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ids_have_their_form_and_do_not_repeat),
        cmocka_unit_test(test_threads_draw_different_ids),
        cmocka_unit_test(test_a_forked_child_does_not_repeat_its_parents_ids),
        cmocka_unit_test(test_ordered_ids_sort_by_time_and_do_not_repeat),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
