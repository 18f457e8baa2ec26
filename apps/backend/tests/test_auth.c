/* test_auth.c — API keys against a real SQLite store: the key's form, verification of a good,
 * wrong, malformed and revoked key, roles, tenant names, and when CLIPFORGE_AUTH=auto asks for
 * keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "application/auth.h"
#include "temp_store.h"

typedef struct fixture {
    char *dir;
    cf_store *store;
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    if (!(f->store = temp_store_open("cfauth-", &f->dir))) return -1;
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    temp_store_close(f->store, f->dir);
    free(f);
    return 0;
}

static char *bearer(const char *key) {
    char *h = malloc(strlen(key) + 8);
    sprintf(h, "Bearer %s", key);
    return h;
}

static void test_a_created_key_verifies_and_a_changed_one_does_not(void **state) {
    fixture *f = *state;
    char *key = NULL;
    cf_key_record k;
    cf_error err;
    assert_int_equal(cf_auth_key_create(f->store, "acme", CF_ROLE_EDITOR, "ci", &key, &k, &err), CF_OK);
    assert_int_equal(strlen(key), 4 + 12 + 1 + 64);
    assert_memory_equal(key, "cfk_", 4);
    assert_memory_equal(key + 4, k.id, 12);
    assert_null(strstr(k.hash, key + 17)); /* the secret is not what is stored */
    assert_int_equal(strlen(k.salt), 32);
    cf_principal p;
    char *h = bearer(key);
    assert_int_equal(cf_auth_verify(f->store, h, &p, &err), CF_OK);
    assert_string_equal(p.tenant, "acme");
    assert_int_equal(p.role, CF_ROLE_EDITOR);
    assert_string_equal(p.key_id, k.id);
    h[strlen(h) - 1] = h[strlen(h) - 1] == 'a' ? 'b' : 'a';
    assert_int_equal(cf_auth_verify(f->store, h, &p, &err), CF_ERR_PERMISSION);
    assert_string_equal(err.msg, "wrong API key");
    assert_string_equal(p.tenant, "");
    h[8] = 'x'; /* not hex */
    assert_int_equal(cf_auth_verify(f->store, h, &p, &err), CF_ERR_PERMISSION);
    assert_string_equal(err.msg, "not a clipforge API key");
    free(h);
    assert_int_equal(cf_store_key_revoke(f->store, k.id, "acme", 5, &err), CF_OK);
    h = bearer(key);
    assert_int_equal(cf_auth_verify(f->store, h, &p, &err), CF_ERR_PERMISSION);
    assert_string_equal(err.msg, "API key revoked");
    free(h);
    free(key);
    cf_key_record_free(&k);
}

static void test_missing_and_foreign_credentials_are_refused(void **state) {
    fixture *f = *state;
    cf_principal p;
    cf_error err;
    assert_int_equal(cf_auth_verify(f->store, NULL, &p, &err), CF_ERR_PERMISSION);
    assert_int_equal(cf_auth_verify(f->store, "", &p, &err), CF_ERR_PERMISSION);
    assert_int_equal(cf_auth_verify(f->store, "Basic YTpi", &p, &err), CF_ERR_PERMISSION);
    assert_int_equal(
        cf_auth_verify(f->store,
                       "Bearer cfk_000000000000_00000000000000000000000000000000000000000000000000000000000"
                       "00000",
                       &p, &err),
        CF_ERR_PERMISSION);
    assert_string_equal(err.msg, "unknown API key");
}

static void test_bad_tenants_and_roles_make_no_key(void **state) {
    fixture *f = *state;
    char *key = NULL;
    cf_error err;
    const char *bad[] = {"",
                         "Acme",
                         "-x",
                         "a/b",
                         "a b",
                         "../x",
                         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_false(cf_tenant_valid(bad[i]));
        assert_int_equal(cf_auth_key_create(f->store, bad[i], CF_ROLE_VIEWER, NULL, &key, NULL, &err),
                         CF_ERR_INVALID_ARGUMENT);
        assert_null(key);
    }
    assert_true(cf_tenant_valid("team-7_b"));
    assert_int_equal(cf_auth_key_create(f->store, "acme", CF_ROLE_NONE, NULL, &key, NULL, &err),
                     CF_ERR_INVALID_ARGUMENT);
    cf_role r;
    assert_true(cf_role_parse("admin", &r) && r == CF_ROLE_ADMIN);
    assert_false(cf_role_parse("none", &r));
    assert_false(cf_role_parse("Admin", &r));
}

static bool required(const char *setting, const char *listen) {
    cf_config cfg = {.auth = (char *)setting};
    bool on = false;
    cf_error err;
    assert_int_equal(cf_auth_required(&cfg, listen, &on, &err), CF_OK);
    return on;
}

static void test_auto_asks_for_keys_unless_on_loopback(void **state) {
    (void)state;
    assert_false(required("auto", "127.0.0.1:8080"));
    assert_false(required("auto", "127.9.9.9:1"));
    assert_false(required("auto", "localhost:8080"));
    assert_false(required("auto", "[::1]:8080"));
    assert_true(required("auto", "0.0.0.0:8080"));
    assert_true(required("auto", "[::]:8080"));
    assert_true(required("auto", "192.168.1.5:80"));
    assert_true(required("auto", "example.org:80"));
    assert_true(required("on", "127.0.0.1:1"));
    assert_false(required("off", "0.0.0.0:1"));
    assert_false(required("", "127.0.0.1:1"));
    cf_config cfg = {.auth = "yes"};
    bool on;
    cf_error err;
    assert_int_equal(cf_auth_required(&cfg, "127.0.0.1:1", &on, &err), CF_ERR_INVALID_ARGUMENT);
}

/* The API's cache: a verified key is taken for CF_AUTH_CACHE_MS without the store; a changed
 * secret never hits it; a key forgotten (revoked through this process) is refused at once. */
static void test_the_cache_remembers_briefly_and_forgets_on_revoke(void **state) {
    fixture *f = *state;
    char *key = NULL;
    cf_key_record k;
    cf_error err;
    cf_principal p;
    assert_int_equal(cf_auth_key_create(f->store, "acme", CF_ROLE_VIEWER, NULL, &key, &k, &err), CF_OK);
    char *h = bearer(key);
    assert_int_equal(cf_auth_verify_cached(f->store, h, 1000, &p, &err), CF_OK);
    assert_int_equal(cf_store_key_revoke(f->store, k.id, NULL, 5, &err), CF_OK);
    assert_int_equal(cf_auth_verify_cached(f->store, h, 1000 + CF_AUTH_CACHE_MS - 1, &p, &err), CF_OK);
    assert_string_equal(p.tenant, "acme");
    assert_int_equal(cf_auth_verify_cached(f->store, h, 1000 + CF_AUTH_CACHE_MS, &p, &err),
                     CF_ERR_PERMISSION);
    assert_string_equal(err.msg, "API key revoked");
    char *other = NULL;
    cf_key_record k2;
    assert_int_equal(cf_auth_key_create(f->store, "acme", CF_ROLE_EDITOR, NULL, &other, &k2, &err), CF_OK);
    char *h2 = bearer(other);
    assert_int_equal(cf_auth_verify_cached(f->store, h2, 10, &p, &err), CF_OK);
    h2[strlen(h2) - 1] = h2[strlen(h2) - 1] == 'a' ? 'b' : 'a';
    assert_int_equal(cf_auth_verify_cached(f->store, h2, 11, &p, &err), CF_ERR_PERMISSION);
    h2[strlen(h2) - 1] = other[strlen(other) - 1];
    cf_auth_forget(k2.id);
    assert_int_equal(cf_store_key_revoke(f->store, k2.id, NULL, 12, &err), CF_OK);
    assert_int_equal(cf_auth_verify_cached(f->store, h2, 13, &p, &err), CF_ERR_PERMISSION);
    free(h);
    free(h2);
    free(key);
    free(other);
    cf_key_record_free(&k);
    cf_key_record_free(&k2);
}

int main(void) {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_a_created_key_verifies_and_a_changed_one_does_not),
        T(test_missing_and_foreign_credentials_are_refused),
        T(test_bad_tenants_and_roles_make_no_key),
        T(test_the_cache_remembers_briefly_and_forgets_on_revoke),
        cmocka_unit_test(test_auto_asks_for_keys_unless_on_loopback),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
