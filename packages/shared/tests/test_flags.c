#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clipforge/flags.h"

static void test_settings_parse_and_format(void **state) {
    (void)state;
    cf_error err;
    cf_flag_setting s;
    char text[CF_FLAG_SETTING_MAX];
    const char *good[][2] = {{"on", "on"}, {"TRUE", "on"}, {"off", "off"},   {"false", "off"},
                             {"0%", "0%"}, {"25%", "25%"}, {"100%", "100%"}, {"007%", "7%"}};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        assert_int_equal(cf_flag_setting_parse(good[i][0], &s, &err), CF_OK);
        cf_flag_setting_format(&s, text);
        assert_string_equal(text, good[i][1]);
    }
    assert_int_equal(cf_flag_setting_parse("25%", &s, &err), CF_OK);
    assert_true(s.rollout);
    assert_int_equal(s.percent, 25);
    const char *bad[] = {"", "yes", "101%", "%", "-1%", "2 5%", "25", "1000%", "on ", NULL};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(cf_flag_setting_parse(bad[i], &s, &err), CF_ERR_INVALID_ARGUMENT);
}

static void test_names(void **state) {
    (void)state;
    assert_true(cf_flag_name_valid("template.podcast-split"));
    assert_true(cf_flag_name_valid("ui_audio_events"));
    assert_true(cf_flag_name_valid("9lives"));
    assert_false(cf_flag_name_valid(""));
    assert_false(cf_flag_name_valid(NULL));
    assert_false(cf_flag_name_valid(".hidden"));
    assert_false(cf_flag_name_valid("Upper"));
    assert_false(cf_flag_name_valid("a b"));
    assert_false(cf_flag_name_valid("a/b"));
    char long_name[CF_FLAG_NAME_MAX + 2];
    memset(long_name, 'a', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    assert_false(cf_flag_name_valid(long_name));
    long_name[CF_FLAG_NAME_MAX] = '\0';
    assert_true(cf_flag_name_valid(long_name));
}

static void test_config_list_parses_items_and_blanks(void **state) {
    (void)state;
    cf_flag_entry *e = NULL;
    size_t n = 0;
    cf_error err;
    assert_int_equal(cf_flags_parse_list(" a=on , b.c = 25% ,,d=off, a=10%", &e, &n, &err), CF_OK);
    assert_int_equal(n, 3);
    assert_string_equal(e[0].name, "a"); /* the later item replaced the earlier */
    assert_true(e[0].setting.rollout);
    assert_int_equal(e[0].setting.percent, 10);
    assert_string_equal(e[1].name, "b.c");
    assert_int_equal(e[1].setting.percent, 25);
    assert_string_equal(e[2].name, "d");
    assert_int_equal(e[2].setting.percent, 0);
    free(e);
    assert_int_equal(cf_flags_parse_list("", &e, &n, &err), CF_OK);
    assert_int_equal(n, 0);
    assert_null(e);
    assert_int_equal(cf_flags_parse_list(NULL, &e, &n, &err), CF_OK);
    assert_int_equal(n, 0);
}

static void test_config_list_names_the_bad_item(void **state) {
    (void)state;
    cf_flag_entry *e = NULL;
    size_t n = 0;
    cf_error err;
    assert_int_equal(cf_flags_parse_list("a=on,b=maybe", &e, &n, &err), CF_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(err.msg, "b: 'maybe'"));
    assert_null(e);
    assert_int_equal(n, 0);
    assert_int_equal(cf_flags_parse_list("a=on,justaname", &e, &n, &err), CF_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(err.msg, "justaname"));
    assert_int_equal(cf_flags_parse_list("Bad=on", &e, &n, &err), CF_ERR_INVALID_ARGUMENT);
    assert_int_equal(cf_flags_parse_list("=on", &e, &n, &err), CF_ERR_INVALID_ARGUMENT);
    assert_int_equal(cf_flags_parse_list("a=150%", &e, &n, &err), CF_ERR_INVALID_ARGUMENT);
}

/* The same subject always lands in the same bucket; known values pin the hash, so that a change
 * of it (which would move every tenant between arms) fails here. */
static void test_bucket_is_stable(void **state) {
    (void)state;
    int b = cf_flag_bucket("new-engine", "acme");
    for (int i = 0; i < 100; i++) assert_int_equal(cf_flag_bucket("new-engine", "acme"), b);
    assert_int_equal(b, 53);
    assert_int_equal(cf_flag_bucket("template.podcast-split", "default"), 4);
    assert_int_equal(cf_flag_bucket("a", "t"), 14);
    /* name and subject are kept apart: "ab"+"c" is not "a"+"bc" */
    int differ = 0;
    char s1[16], s2[16];
    for (int i = 0; i < 50; i++) {
        snprintf(s1, sizeof s1, "x%d", i);
        snprintf(s2, sizeof s2, "%d", i);
        differ += cf_flag_bucket("fx", s2) != cf_flag_bucket("f", s1);
    }
    assert_true(differ > 40);
}

static void test_rollout_spreads_and_only_grows(void **state) {
    (void)state;
    int in25 = 0, in50 = 0;
    char tenant[32];
    for (int i = 0; i < 2000; i++) {
        snprintf(tenant, sizeof tenant, "tenant-%d", i);
        cf_flag_setting p25 = {25, true}, p50 = {50, true}, on = {100, false}, off = {0, false};
        bool a = cf_flag_setting_on(&p25, "rollout", tenant);
        bool b = cf_flag_setting_on(&p50, "rollout", tenant);
        assert_true(!a || b); /* raising the percentage only adds tenants */
        assert_true(cf_flag_setting_on(&on, "rollout", tenant));
        assert_false(cf_flag_setting_on(&off, "rollout", tenant));
        in25 += a;
        in50 += b;
    }
    assert_in_range(in25, 400, 600); /* 25% of 2000 = 500 */
    assert_in_range(in50, 900, 1100);
    cf_flag_setting p99 = {99, true};
    assert_false(cf_flag_setting_on(&p99, "rollout", NULL)); /* no subject, no rollout */
}

/* ---- the stack, over a source kept in memory ---- */

typedef struct mem_source {
    cf_flag_entry e[8];
    size_t n;
    bool fail;
} mem_source;

static void mem_close(void *self) {
    (void)self;
}

static cf_err mem_get(void *self, const char *name, cf_flag_setting *out, bool *found, cf_error *err) {
    mem_source *m = self;
    if (m->fail) return cf_error_set(err, CF_ERR_UNAVAILABLE, "down");
    *found = false;
    for (size_t i = 0; i < m->n; i++)
        if (!strcmp(m->e[i].name, name)) *out = m->e[i].setting, *found = true;
    return CF_OK;
}

static cf_err mem_list(void *self, cf_flag_entry **out, size_t *n, cf_error *err) {
    mem_source *m = self;
    *out = malloc(sizeof m->e);
    if (!*out) return cf_error_set(err, CF_ERR_NO_MEMORY, "oom");
    memcpy(*out, m->e, sizeof m->e);
    *n = m->n;
    return CF_OK;
}

static cf_err mem_set(void *self, const char *name, const cf_flag_setting *s, cf_error *err) {
    (void)err;
    mem_source *m = self;
    size_t i = 0;
    while (i < m->n && strcmp(m->e[i].name, name)) i++;
    snprintf(m->e[i].name, sizeof m->e[i].name, "%s", name);
    m->e[i].setting = *s;
    if (i == m->n) m->n++;
    return CF_OK;
}

static cf_err mem_unset(void *self, const char *name, cf_error *err) {
    mem_source *m = self;
    for (size_t i = 0; i < m->n; i++)
        if (!strcmp(m->e[i].name, name)) {
            m->e[i] = m->e[--m->n];
            return CF_OK;
        }
    return cf_error_set(err, CF_ERR_NOT_FOUND, "not set");
}

static const cf_flags_methods config_methods = {
    1, "config", CF_FLAG_SOURCE_CONFIG, mem_close, mem_get, mem_list, NULL, NULL};
static const cf_flags_methods store_methods = {
    1, "store", CF_FLAG_SOURCE_STORE, mem_close, mem_get, mem_list, mem_set, mem_unset};

static const cf_flag_def defs[] = {
    {"known.on", "on", false, "on unless told"},
    {"known.media", "50%", true, "half of the media"},
};

static void test_store_wins_over_config_over_default(void **state) {
    (void)state;
    mem_source config = {.e = {{"known.on", {0, false}}, {"extra", {30, true}}}, .n = 2};
    mem_source store = {0};
    cf_flags *f = NULL;
    cf_error err;
    assert_int_equal(cf_flags_new(defs, 2, &f, &err), CF_OK);
    assert_int_equal(cf_flags_add(f, &config_methods, &config, &err), CF_OK);
    assert_int_equal(cf_flags_add(f, &store_methods, &store, &err), CF_OK);
    cf_flag_value v;
    assert_int_equal(cf_flags_get(f, "known.on", &v, &err), CF_OK);
    assert_int_equal(v.source, CF_FLAG_SOURCE_CONFIG);
    assert_false(cf_flags_on(f, "known.on", "acme", NULL));
    cf_flag_setting on = {100, false};
    assert_int_equal(cf_flags_set(f, "known.on", &on, &err), CF_OK);
    assert_true(cf_flags_on(f, "known.on", "acme", NULL));
    assert_int_equal(cf_flags_get(f, "known.on", &v, &err), CF_OK);
    assert_int_equal(v.source, CF_FLAG_SOURCE_STORE);
    assert_int_equal(cf_flags_unset(f, "known.on", &err), CF_OK); /* back to the config value */
    assert_false(cf_flags_on(f, "known.on", "acme", NULL));
    assert_int_equal(cf_flags_unset(f, "known.on", &err), CF_ERR_NOT_FOUND);
    assert_int_equal(cf_flags_get(f, "nobody", &v, &err), CF_ERR_NOT_FOUND);
    assert_false(cf_flags_on(f, "nobody", "acme", NULL));
    assert_int_equal(cf_flags_set(f, "Bad Name", &on, &err), CF_ERR_INVALID_ARGUMENT);

    cf_flag_value *all = NULL;
    size_t n = 0;
    assert_int_equal(cf_flags_list(f, &all, &n, &err), CF_OK);
    assert_int_equal(n, 3);
    assert_string_equal(all[0].name, "extra");
    assert_int_equal(all[0].source, CF_FLAG_SOURCE_CONFIG);
    assert_string_equal(all[1].name, "known.media");
    assert_int_equal(all[1].source, CF_FLAG_SOURCE_DEFAULT);
    assert_true(all[1].by_media);
    assert_string_equal(all[2].name, "known.on");
    free(all);

    store.fail = true; /* a failing store leaves flags at their defaults */
    assert_true(cf_flags_on(f, "known.on", "acme", NULL));
    cf_flags_free(f);
}

static void test_media_subject_flags_split_by_media(void **state) {
    (void)state;
    cf_flags *f = NULL;
    cf_error err;
    assert_int_equal(cf_flags_new(defs, 2, &f, &err), CF_OK);
    int on = 0;
    char media[32];
    for (int i = 0; i < 400; i++) {
        snprintf(media, sizeof media, "m_%d", i);
        bool a = cf_flags_on(f, "known.media", "acme", media);
        assert_int_equal(a, cf_flags_on(f, "known.media", "acme", media));
        on += a;
    }
    assert_in_range(on, 150, 250);
    cf_flags_free(f);
    static const cf_flag_def bad[] = {{"x", "sometimes", false, ""}};
    assert_int_equal(cf_flags_new(bad, 1, &f, &err), CF_ERR_INVALID_ARGUMENT);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_settings_parse_and_format),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_config_list_parses_items_and_blanks),
        cmocka_unit_test(test_config_list_names_the_bad_item),
        cmocka_unit_test(test_bucket_is_stable),
        cmocka_unit_test(test_rollout_spreads_and_only_grows),
        cmocka_unit_test(test_store_wins_over_config_over_default),
        cmocka_unit_test(test_media_subject_flags_split_by_media),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
