/* SigV4 against the published AWS example of a presigned GET URL (examplebucket, test.txt,
 * 2013-05-24, 86400 s), and the header signature's shape. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "infrastructure/s3_sigv4.h"

static cf_s3_credentials example(void) {
    cf_s3_credentials c = {.access_key = "AKIAIOSFODNN7EXAMPLE",
                           .secret_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                           .region = "us-east-1"};
    return c;
}

static void test_presigned_query_matches_the_aws_example(void **state) {
    (void)state;
    cf_s3_credentials c = example();
    char *q = NULL;
    cf_error err;
    /* 2013-05-24T00:00:00Z */
    assert_int_equal(cf_s3_presign_query(&c, "GET", "examplebucket.s3.amazonaws.com", "/test.txt", 86400,
                                         1369353600, NULL, &q, &err),
                     CF_OK);
    assert_string_equal(q, "X-Amz-Algorithm=AWS4-HMAC-SHA256"
                           "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3"
                           "%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400"
                           "&X-Amz-SignedHeaders=host&X-Amz-Signature="
                           "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
    free(q);
}

/* A tenant parameter is signed with the rest: it comes after the X-Amz-* ones, the signature
 * changes with it, and the AWS example's parameters stay as they were. */
static void test_presigned_query_signs_extra_parameters(void **state) {
    (void)state;
    cf_s3_credentials c = example();
    char *plain = NULL, *a = NULL, *b = NULL;
    cf_error err;
    assert_int_equal(cf_s3_presign_query(&c, "GET", "h", "/k", 60, 1369353600, NULL, &plain, &err), CF_OK);
    assert_int_equal(
        cf_s3_presign_query(&c, "GET", "h", "/k", 60, 1369353600, "x-clipforge-tenant=acme", &a, &err),
        CF_OK);
    assert_int_equal(
        cf_s3_presign_query(&c, "GET", "h", "/k", 60, 1369353600, "x-clipforge-tenant=beta", &b, &err),
        CF_OK);
    const char *sa = strstr(a, "&X-Amz-Signature="), *sb = strstr(b, "&X-Amz-Signature=");
    const char *sp = strstr(plain, "&X-Amz-Signature=");
    assert_non_null(strstr(a, "&X-Amz-SignedHeaders=host&x-clipforge-tenant=acme&X-Amz-Signature="));
    assert_int_equal(sp - plain, strstr(a, "&x-clipforge-tenant") - a); /* same parameters before it */
    assert_memory_equal(plain, a, (size_t)(sp - plain));
    assert_string_not_equal(sa, sb);
    assert_string_not_equal(sa, sp);
    free(plain);
    free(a);
    free(b);
}

static void test_header_signature_covers_host_hash_and_date(void **state) {
    (void)state;
    cf_s3_credentials c = example();
    struct curl_slist *h = NULL;
    cf_error err;
    assert_int_equal(
        cf_s3_sign_headers(&c, "PUT", "127.0.0.1:9000", "/b/k", "", "abc", 3, 1369353600, &h, &err), CF_OK);
    assert_string_equal(h->data, "x-amz-date: 20130524T000000Z");
    /* sha256("abc") */
    assert_string_equal(h->next->data, "x-amz-content-sha256: "
                                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_non_null(strstr(h->next->next->data,
                           "Authorization: AWS4-HMAC-SHA256 Credential="
                           "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
                           " SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature="));
    curl_slist_free_all(h);
}

static void test_uri_encoding_keeps_unreserved_only(void **state) {
    (void)state;
    char *e = cf_s3_uri_encode("a b/c~d_e.f-g+h=", false);
    assert_string_equal(e, "a%20b/c~d_e.f-g%2Bh%3D");
    free(e);
    e = cf_s3_uri_encode("x/y", true);
    assert_string_equal(e, "x%2Fy");
    free(e);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_presigned_query_matches_the_aws_example),
        cmocka_unit_test(test_presigned_query_signs_extra_parameters),
        cmocka_unit_test(test_header_signature_covers_host_hash_and_date),
        cmocka_unit_test(test_uri_encoding_keeps_unreserved_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
