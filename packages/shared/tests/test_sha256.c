/* Streaming SHA-256 (clipforge/sha256.h): the standard's test vectors, bytes added in any pieces
 * give the digest of the whole, a NULL digest (out of memory) ends as a failure with an empty hex,
 * and what counts as a hash's hex. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "clipforge/sha256.h"

static void digest(const char *text, size_t piece, char hex[CF_SHA256_HEX]) {
    cf_sha256 *h = cf_sha256_begin();
    assert_non_null(h);
    size_t n = strlen(text);
    for (size_t at = 0; at < n; at += piece)
        assert_true(cf_sha256_add(h, text + at, n - at < piece ? n - at : piece));
    assert_true(cf_sha256_end(h, hex));
}

static void test_vectors_in_any_pieces(void **state) {
    (void)state;
    char hex[CF_SHA256_HEX];
    digest("", 1, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    const char *want = "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";
    for (size_t piece = 1; piece <= 57; piece += 7) {
        digest(two_blocks, piece, hex);
        assert_string_equal(hex, want);
    }
    digest("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_true(cf_sha256_valid(hex));
}

static void test_a_missing_digest_fails_cleanly(void **state) {
    (void)state;
    char hex[CF_SHA256_HEX] = "x";
    assert_false(cf_sha256_add(NULL, "a", 1));
    assert_false(cf_sha256_end(NULL, hex));
    assert_string_equal(hex, "");
    cf_sha256_drop(NULL);
    cf_sha256_drop(cf_sha256_begin()); /* dropped unfinished: nothing leaks (ASan) */
}

static void test_valid_hex(void **state) {
    (void)state;
    char hex[CF_SHA256_HEX];
    memset(hex, 'a', 64);
    hex[64] = '\0';
    assert_true(cf_sha256_valid(hex));
    hex[3] = 'A';
    assert_false(cf_sha256_valid(hex));
    hex[3] = 'a';
    hex[63] = '\0';
    assert_false(cf_sha256_valid(hex));
    assert_false(cf_sha256_valid(NULL));
    assert_false(cf_sha256_valid(""));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors_in_any_pieces),
        cmocka_unit_test(test_a_missing_digest_fails_cleanly),
        cmocka_unit_test(test_valid_hex),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
