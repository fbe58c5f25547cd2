/* Unit tests of core/locks: the conflict matrix against PostgreSQL 15's
 * table 13.2, written out here independently, and the mode names. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/locks.h"

/* Rows: requested mode; columns: mode already held, in the order ACCESS
 * SHARE .. ACCESS EXCLUSIVE; 'X' marks a conflict (the documentation's
 * table 13.2 "Conflicting Lock Modes"). */
static const char *const documented[8] = {
    /*            AS RS RE SUE S SRE E AE */
    [0] = ".......X", /* ACCESS SHARE */
    [1] = "......XX", /* ROW SHARE */
    [2] = "....XXXX", /* ROW EXCLUSIVE */
    [3] = "...XXXXX", /* SHARE UPDATE EXCLUSIVE */
    [4] = "..XX.XXX", /* SHARE: the one strong mode that does not conflict with itself */
    [5] = "..XXXXXX", /* SHARE ROW EXCLUSIVE */
    [6] = ".XXXXXXX", /* EXCLUSIVE */
    [7] = "XXXXXXXX", /* ACCESS EXCLUSIVE */
};

static void test_matrix_matches_documentation(void **state)
{
    (void)state;
    for (int wanted = 1; wanted <= 8; wanted++)
        for (int held = 1; held <= 8; held++) {
            bool expected = documented[wanted - 1][held - 1] == 'X';
            if (lock_modes_conflict((lock_mode)held, (lock_mode)wanted) != expected)
                fail_msg("%s requested while %s is held: expected %s", lock_mode_name((lock_mode)wanted),
                         lock_mode_name((lock_mode)held), expected ? "conflict" : "no conflict");
        }
}

static void test_matrix_is_symmetric(void **state)
{
    (void)state;
    for (int a = 1; a <= 8; a++)
        for (int b = 1; b <= 8; b++)
            assert_int_equal(lock_modes_conflict((lock_mode)a, (lock_mode)b),
                             lock_modes_conflict((lock_mode)b, (lock_mode)a));
}

static void test_well_known_pairs(void **state)
{
    (void)state;
    /* SELECT waits behind ALTER TABLE's ACCESS EXCLUSIVE ... */
    assert_true(lock_modes_conflict(LOCK_ACCESS_EXCLUSIVE, LOCK_ACCESS_SHARE));
    /* ... CREATE INDEX (SHARE) blocks INSERT (ROW EXCLUSIVE) but not SELECT ... */
    assert_true(lock_modes_conflict(LOCK_SHARE, LOCK_ROW_EXCLUSIVE));
    assert_false(lock_modes_conflict(LOCK_SHARE, LOCK_ACCESS_SHARE));
    /* ... two CREATE INDEX on one table run side by side ... */
    assert_false(lock_modes_conflict(LOCK_SHARE, LOCK_SHARE));
    /* ... CONCURRENTLY builds let writes go on but not a second one. */
    assert_false(lock_modes_conflict(LOCK_SHARE_UPDATE_EXCLUSIVE, LOCK_ROW_EXCLUSIVE));
    assert_true(lock_modes_conflict(LOCK_SHARE_UPDATE_EXCLUSIVE, LOCK_SHARE_UPDATE_EXCLUSIVE));
    /* Nothing and out-of-range modes conflict with nothing. */
    assert_false(lock_modes_conflict(LOCK_NONE, LOCK_ACCESS_EXCLUSIVE));
    assert_false(lock_modes_conflict((lock_mode)42, LOCK_ACCESS_EXCLUSIVE));
}

static void test_names_round_trip(void **state)
{
    (void)state;
    static const char *const sql_names[] = {"ACCESS SHARE", "ROW SHARE", "ROW EXCLUSIVE",
                                            "SHARE UPDATE EXCLUSIVE", "SHARE", "SHARE ROW EXCLUSIVE",
                                            "EXCLUSIVE", "ACCESS EXCLUSIVE"};
    static const char *const pg_names[] = {
        "AccessShareLock", "RowShareLock", "RowExclusiveLock", "ShareUpdateExclusiveLock",
        "ShareLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock"};
    for (int m = 1; m <= 8; m++) {
        assert_string_equal(lock_mode_name((lock_mode)m), sql_names[m - 1]);
        assert_string_equal(lock_mode_pg_name((lock_mode)m), pg_names[m - 1]);
        assert_int_equal(lock_mode_from_name(sql_names[m - 1]), m);
        assert_int_equal(lock_mode_from_name(pg_names[m - 1]), m);
        assert_non_null(strstr(lock_mode_effect((lock_mode)m), "block"));
    }
    assert_int_equal(lock_mode_from_name("access exclusive"), LOCK_ACCESS_EXCLUSIVE);
    assert_int_equal(lock_mode_from_name("SIReadLock"), LOCK_NONE);
    assert_string_equal(lock_mode_name((lock_mode)99), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matrix_matches_documentation),
        cmocka_unit_test(test_matrix_is_symmetric),
        cmocka_unit_test(test_well_known_pairs),
        cmocka_unit_test(test_names_round_trip),
    };
    return cmocka_run_group_tests_name("locks", tests, NULL, NULL);
}
