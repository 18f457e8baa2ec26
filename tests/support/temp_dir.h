/* temp_dir.h — a cmocka group fixture: a private directory g_dir in TMPDIR, made before the group's
 * tests (temp_dir_setup) and removed with what they left in it after them (temp_dir_teardown).
 * TEMP_DIR_PREFIX, defined before the include, names it ("cftest-" by default). */
#ifndef CF_TEST_TEMP_DIR_H
#define CF_TEST_TEMP_DIR_H

#include <stdlib.h>

#include "clipforge/fs.h"

#ifndef TEMP_DIR_PREFIX
#define TEMP_DIR_PREFIX "cftest-"
#endif

static char *g_dir;

static int temp_dir_setup(void **state) {
    (void)state;
    cf_error err;
    return cf_make_temp_dir(NULL, TEMP_DIR_PREFIX, &g_dir, &err) == CF_OK ? 0 : -1;
}

static int temp_dir_teardown(void **state) {
    (void)state;
    cf_error err;
    cf_remove_tree(g_dir, &err);
    free(g_dir);
    return 0;
}

#endif
