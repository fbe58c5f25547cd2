/* Unit tests of core/source: the three layouts, version order, directives
 * read through the source, checksums, the problems that need file-system
 * state git cannot store (symlink loops, dangling links, unreadable files,
 * FIFOs), `stepwise new` in each layout and numbering style, and the
 * folder lookup. Each test builds its files in a fresh folder under /tmp. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/source.h"
#include "core/util.h"
#include "tests/harness/read_text.h"

/* ------------------------------------------------------------ helpers */

static char *make_tmpdir(void)
{
    char tmpl[] = "/tmp/stepwise-source-XXXXXX";
    char *dir = mkdtemp(tmpl);
    assert_non_null(dir);
    return xstrdup(dir);
}

static void remove_tree(char *dir)
{
    char *cmd = xasprintf("chmod -R u+rwx '%s' && rm -rf '%s'", dir, dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(dir);
}

static void put_len(const char *dir, const char *name, const char *text, size_t len)
{
    char *path = xasprintf("%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    free(path);
}

static void put(const char *dir, const char *name, const char *text)
{
    put_len(dir, name, text, strlen(text));
}

static char *slurp(const char *path)
{
    char *text = read_text(path);
    assert_non_null(text);
    return text;
}

/* Every problem as source_problem_text gives it, one per line, with the
 * folder's path replaced by "D" so that expectations can be written out. */
static char *problems_text(const migration_source *s)
{
    strbuf sb = {0};
    size_t dlen = strlen(s->dir);
    for (size_t i = 0; i < s->nproblems; i++) {
        char *line = source_problem_text(s, &s->problems[i]);
        assert_memory_equal(line, s->dir, dlen);
        strbuf_appendf(&sb, "D%s\n", line + dlen);
        free(line);
    }
    return strbuf_detach(&sb);
}

static void read_ok(const char *dir, migration_source *s)
{
    sw_error err = {0};
    assert_int_equal(source_read(dir, s, &err), SW_OK);
}

static void assert_problems(const migration_source *s, const char *expected)
{
    char *got = problems_text(s);
    assert_string_equal(got, expected);
    free(got);
}

/* A script's text as migration_script_text reads it back from its file. */
static char *text_of(const migration_script *sc)
{
    strbuf sb = {0};
    sw_error err = {0};
    if (migration_script_text(sc, &sb, &err) != SW_OK)
        fail_msg("migration_script_text(%s): %s", sc->path, err.message);
    assert_int_equal(sb.len, sc->length);
    return strbuf_detach(&sb);
}

static void assert_text(const migration_script *sc, const char *expected)
{
    char *text = text_of(sc);
    assert_string_equal(text, expected);
    free(text);
}

/* ------------------------------------------------------------ versions */

static void test_version_valid(void **state)
{
    (void)state;
    assert_true(version_valid("1"));
    assert_true(version_valid("0001"));
    assert_true(version_valid("1.2.3"));
    assert_true(version_valid("20240101120000"));
    assert_false(version_valid(""));
    assert_false(version_valid("1."));
    assert_false(version_valid(".1"));
    assert_false(version_valid("1..2"));
    assert_false(version_valid("1a"));
    assert_false(version_valid("v1"));
}

static void test_version_compare(void **state)
{
    (void)state;
    static const char *const ascending[] = {"0", "1", "1.0", "1.2", "1.2.3", "1.10", "2",
                                            "9", "10", "0011", "100", "20240101120000",
                                            "20240101120001", "99999999999999999999999"};
    size_t n = sizeof ascending / sizeof ascending[0];
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            int want = i < j ? -1 : i > j;
            int got = version_compare(ascending[i], ascending[j]);
            if (got != want)
                fail_msg("version_compare(%s, %s) = %d, expected %d", ascending[i], ascending[j],
                         got, want);
        }
    assert_int_equal(version_compare("01", "1"), 0);
    assert_int_equal(version_compare("1.02", "1.2"), 0);
    assert_int_equal(version_compare("000", "0"), 0);
    assert_true(version_compare("01.0", "1") > 0);
}

/* ------------------------------------------------------------ layouts */

static void test_layout_pairs(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    put(dir, "0001_create_users.up.sql", "CREATE TABLE users (id int);\n");
    put(dir, "0001_create_users.down.sql", "DROP TABLE users;\n");
    put(dir, "0002_add_email.up.sql", "ALTER TABLE users ADD email text;\n");
    put(dir, "README.md", "how we migrate\n");
    put(dir, ".gitkeep", "");
    migration_source s;
    read_ok(dir, &s);
    assert_int_equal(s.layout, LAYOUT_PAIRS);
    assert_string_equal(source_layout_name(s.layout), "pairs");
    assert_int_equal(s.count, 2);
    assert_int_equal(s.errors, 0);
    assert_problems(&s, "D/README.md: warning: ignored: not a migration file\n");

    const migration *m = &s.migrations[0];
    assert_string_equal(m->version, "0001");
    assert_string_equal(m->name, "create_users");
    char *path = xasprintf("%s/0001_create_users.up.sql", dir);
    assert_string_equal(m->up.path, path);
    free(path);
    assert_text(&m->up, "CREATE TABLE users (id int);\n");
    assert_int_equal(m->up.line, 1);
    assert_true(m->has_down);
    assert_text(&m->down, "DROP TABLE users;\n");

    m = &s.migrations[1];
    assert_string_equal(m->version, "0002");
    assert_string_equal(m->name, "add_email");
    assert_false(m->has_down);
    assert_null(m->down.path);
    assert_int_equal(m->down.length, 0);
    assert_int_equal(s.width, 4);
    assert_false(s.timestamps);
    source_free(&s);
    remove_tree(dir);
}

static void test_layout_dbmate(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    put(dir, "20240101120000_create_users.sql",
        "-- a comment before the sections\n"
        "-- migrate:up\n"
        "CREATE TABLE users (id int);\n"
        "\n"
        "-- migrate:down\n"
        "DROP TABLE users;\n");
    put(dir, "20240102120000_seed.sql", "-- migrate:up\nINSERT INTO users VALUES (1);\n");
    migration_source s;
    read_ok(dir, &s);
    assert_int_equal(s.layout, LAYOUT_DBMATE);
    assert_string_equal(source_layout_name(s.layout), "dbmate");
    assert_int_equal(s.nproblems, 0);
    assert_int_equal(s.count, 2);
    const migration *m = &s.migrations[0];
    assert_string_equal(m->version, "20240101120000");
    assert_string_equal(m->name, "create_users");
    assert_text(&m->up, "CREATE TABLE users (id int);\n\n");
    assert_int_equal(m->up.line, 3);
    assert_true(m->has_down);
    assert_text(&m->down, "DROP TABLE users;\n");
    assert_int_equal(m->down.line, 6);
    assert_string_equal(m->up.path, m->down.path);
    m = &s.migrations[1];
    assert_text(&m->up, "INSERT INTO users VALUES (1);\n");
    assert_int_equal(m->up.line, 2);
    assert_false(m->has_down);
    assert_true(s.timestamps);
    assert_int_equal(s.width, 0);
    source_free(&s);
    remove_tree(dir);
}

static void test_layout_flyway(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    put(dir, "V1__init.sql", "CREATE TABLE a (id int);\n");
    put(dir, "U1__init.sql", "DROP TABLE a;\n");
    put(dir, "V1.1__more.sql", "CREATE TABLE b (id int);\n");
    put(dir, "V2__last.sql", "CREATE TABLE c (id int);\n");
    migration_source s;
    read_ok(dir, &s);
    assert_int_equal(s.layout, LAYOUT_FLYWAY);
    assert_string_equal(source_layout_name(s.layout), "flyway");
    assert_int_equal(s.nproblems, 0);
    assert_int_equal(s.count, 3);
    assert_string_equal(s.migrations[0].version, "1");
    assert_string_equal(s.migrations[0].name, "init");
    assert_true(s.migrations[0].has_down);
    assert_text(&s.migrations[0].down, "DROP TABLE a;\n");
    assert_string_equal(s.migrations[1].version, "1.1");
    assert_string_equal(s.migrations[1].name, "more");
    assert_false(s.migrations[1].has_down);
    assert_string_equal(s.migrations[2].version, "2");
    assert_int_equal(s.width, 0);
    source_free(&s);
    remove_tree(dir);
}

static void test_empty_folder(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    migration_source s;
    read_ok(dir, &s);
    assert_int_equal(s.layout, LAYOUT_NONE);
    assert_string_equal(source_layout_name(s.layout), "none");
    assert_int_equal(s.count, 0);
    assert_int_equal(s.nproblems, 0);
    assert_false(s.timestamps);
    source_free(&s);
    remove_tree(dir);

    sw_error err = {0};
    assert_int_equal(source_read("/nonexistent/stepwise-folder", &s, &err), SW_USAGE);
    assert_string_equal(err.message,
                        "cannot read the migrations folder /nonexistent/stepwise-folder: No such "
                        "file or directory");
    source_free(&s);
}

/* ------------------------------------------------------------ ordering */

static void test_ordering_numeric(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    static const char *const names[] = {"10_j", "2_b", "1.10_e", "1_a", "1.2_c", "1.9_d", "9_f"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char *file = xasprintf("%s.up.sql", names[i]);
        put(dir, file, "SELECT 1;\n");
        free(file);
    }
    migration_source s;
    read_ok(dir, &s);
    assert_int_equal(s.nproblems, 0);
    static const char *const order[] = {"1", "1.2", "1.9", "1.10", "2", "9", "10"};
    assert_int_equal(s.count, 7);
    for (size_t i = 0; i < 7; i++)
        assert_string_equal(s.migrations[i].version, order[i]);
    assert_int_equal(s.width, 0);
    assert_false(s.timestamps);
    assert_non_null(source_find(&s, "1.10"));
    assert_string_equal(source_find(&s, "01.010")->name, "e");
    assert_null(source_find(&s, "3"));
    assert_null(source_find(&s, "1.1"));
    source_free(&s);
    remove_tree(dir);
}

static void test_ordering_padded_and_timestamps(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    put(dir, "0010_c.up.sql", "SELECT 1;\n");
    put(dir, "0002_b.up.sql", "SELECT 1;\n");
    put(dir, "0001_a.up.sql", "SELECT 1;\n");
    migration_source s;
    read_ok(dir, &s);
    assert_int_equal(s.count, 3);
    assert_string_equal(s.migrations[0].version, "0001");
    assert_string_equal(s.migrations[1].version, "0002");
    assert_string_equal(s.migrations[2].version, "0010");
    assert_int_equal(s.width, 4);
    assert_non_null(source_find(&s, "10"));
    source_free(&s);
    remove_tree(dir);

    dir = make_tmpdir();
    put(dir, "20231231235959_b.up.sql", "SELECT 1;\n");
    put(dir, "20240101000000_c.up.sql", "SELECT 1;\n");
    put(dir, "20190601093000_a.up.sql", "SELECT 1;\n");
    read_ok(dir, &s);
    assert_true(s.timestamps);
    assert_int_equal(s.width, 0);
    assert_string_equal(s.migrations[0].name, "a");
    assert_string_equal(s.migrations[2].name, "c");
    source_free(&s);
    /* One version that is not a date makes the folder not a timestamp one. */
    put(dir, "20241399000000_d.up.sql", "SELECT 1;\n");
    read_ok(dir, &s);
    assert_false(s.timestamps);
    source_free(&s);
    remove_tree(dir);
}

/* ------------------------------------------------------------ directives */

static void test_directives(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    put(dir, "0001_index.up.sql",
        "-- stepwise:no-transaction\n"
        "-- stepwise:lock-timeout 2s\n"
        "-- stepwise:statement-timeout 5min\n"
        "CREATE INDEX CONCURRENTLY i ON t (a);\n");
    put(dir, "0001_index.down.sql", "-- stepwise:no-transaction\nDROP INDEX CONCURRENTLY i;\n");
    put(dir, "0002_plain.up.sql", "SELECT 1;\n-- stepwise:no-transaction\n");
    migration_source s;
    read_ok(dir, &s);
    assert_int_equal(s.nproblems, 0);
    const migration *m = &s.migrations[0];
    assert_true(m->up.directives.no_transaction);
    assert_string_equal(m->up.directives.lock_timeout, "2s");
    assert_string_equal(m->up.directives.statement_timeout, "5min");
    assert_true(m->down.directives.no_transaction);
    assert_null(m->down.directives.lock_timeout);
    /* after the first statement a directive is only a comment */
    assert_false(s.migrations[1].up.directives.no_transaction);
    source_free(&s);
    remove_tree(dir);
}

static void test_directives_dbmate(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    put(dir, "1_idx.sql",
        "-- migrate:up transaction:false\n"
        "CREATE INDEX CONCURRENTLY i ON t (a);\n"
        "-- migrate:down transaction:false\n"
        "DROP INDEX CONCURRENTLY i;\n");
    put(dir, "2_timeouts.sql",
        "-- migrate:up\n"
        "-- stepwise:lock-timeout 1s\n"
        "ALTER TABLE t ADD b int;\n"
        "-- migrate:down\n"
        "-- stepwise:no-transaction\n"
        "-- stepwise:lock-timeout 9s\n"
        "ALTER TABLE t DROP b;\n");
    migration_source s;
    read_ok(dir, &s);
    const migration *m = &s.migrations[0];
    assert_true(m->up.directives.no_transaction);
    assert_true(m->down.directives.no_transaction);
    m = &s.migrations[1];
    assert_false(m->up.directives.no_transaction);
    assert_string_equal(m->up.directives.lock_timeout, "1s");
    /* the down section's directives stay with the down script */
    assert_true(m->down.directives.no_transaction);
    assert_string_equal(m->down.directives.lock_timeout, "9s");
    assert_problems(&s, "D/2_timeouts.sql:4: warning: the down script runs without a transaction "
                        "(no-transaction) but the up script runs in one\n");
    assert_int_equal(s.errors, 0);
    source_free(&s);
    remove_tree(dir);
}

static void test_transaction_mismatch_is_shown(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    put(dir, "0001_a.up.sql", "-- stepwise:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a);\n");
    put(dir, "0001_a.down.sql", "DROP INDEX i;\n");
    migration_source s;
    read_ok(dir, &s);
    assert_int_equal(s.errors, 0);
    assert_int_equal(s.count, 1);
    assert_problems(&s, "D/0001_a.down.sql: warning: the up script runs without a transaction "
                        "(no-transaction) but the down script runs in one\n");
    source_free(&s);
    remove_tree(dir);
}

/* ------------------------------------------------------------ checksums */

static void test_sha256_known_values(void **state)
{
    (void)state;
    char hex[65];
    source_sha256_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    source_sha256_hex("", 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_checksums_of_files(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    /* `printf 'CREATE TABLE t (id int);\n' | sha256sum` */
    put(dir, "0001_t.up.sql", "CREATE TABLE t (id int);\n");
    put(dir, "0001_t.down.sql", "DROP TABLE t;\n");
    put(dir, "0002_u.up.sql", "CREATE TABLE t (id int);\n-- a comment changes the checksum\n");
    migration_source s;
    read_ok(dir, &s);
    assert_string_equal(s.migrations[0].checksum,
                        "12c83f983b0c94b9c7010dcc92149589d5fb01a3d32af8f6d699545d95db9040");
    assert_string_not_equal(s.migrations[1].checksum, s.migrations[0].checksum);
    source_free(&s);
    remove_tree(dir);

    /* dbmate: the checksum is of the up section alone (here: "SELECT 1;\n"),
     * so editing the down section does not make the version drift */
    dir = make_tmpdir();
    put(dir, "1_a.sql", "-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 2;\n");
    read_ok(dir, &s);
    assert_string_equal(s.migrations[0].checksum,
                        "b4e0497804e46e0a0b0b8c31975b062152d551bac49c3c2e80932567b4085dcd");
    source_free(&s);
    put(dir, "1_a.sql", "-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 3;\n");
    read_ok(dir, &s);
    assert_string_equal(s.migrations[0].checksum,
                        "b4e0497804e46e0a0b0b8c31975b062152d551bac49c3c2e80932567b4085dcd");
    source_free(&s);
    remove_tree(dir);
}

/* ------------------------------------------------------------ text read again */

/* migration_script_text appends to `sb` (holding `before`) and must fail
 * with `message` (PATH for the script's path), leaving `sb` as it was. */
static void assert_text_fails(const migration_script *sc, const char *message)
{
    strbuf sb = {0};
    strbuf_append(&sb, "before");
    sw_error err = {0};
    assert_int_equal(migration_script_text(sc, &sb, &err), SW_FAILED);
    assert_string_equal(strbuf_str(&sb), "before");
    strbuf_free(&sb);
    const char *at = strstr(message, "PATH");
    assert_non_null(at);
    char *want = xasprintf("%.*s%s%s", (int)(at - message), message, sc->path, at + 4);
    assert_string_equal(err.message, want);
    free(want);
    sw_error_clear(&err);
}

#define CHANGED                                                                                    \
    "PATH changed after the migrations folder was read; read the folder again (run the command "  \
    "again, or R in the console) and check the change"

/* The folder keeps no script text: it is read again from the file, as it
 * was when the folder was read, or not at all. */
static void test_script_text_read_again(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    put(dir, "0001_a.up.sql", "CREATE TABLE a (id int);\n");
    put(dir, "0001_a.down.sql", "DROP TABLE a;\n");
    put(dir, "0002_b.up.sql", "SELECT 2;\n");
    put(dir, "0002_b.down.sql", "");
    migration_source s;
    read_ok(dir, &s);
    const migration *m = &s.migrations[0];

    /* appended to what is already there; a copy reads as the original
     * does (the console's jobs work on copies) */
    strbuf sb = {0};
    strbuf_append(&sb, "\n\n");
    sw_error err = {0};
    migration_script copy = m->up;
    assert_int_equal(migration_script_text(&copy, &sb, &err), SW_OK);
    assert_string_equal(strbuf_str(&sb), "\n\nCREATE TABLE a (id int);\n");
    strbuf_free(&sb);

    /* a line added, or one byte changed at the same length: refused */
    put(dir, "0001_a.up.sql", "CREATE TABLE a (id int);\nDROP TABLE users;\n");
    assert_text_fails(&m->up, CHANGED);
    put(dir, "0001_a.up.sql", "CREATE TABLE b (id int);\n");
    assert_text_fails(&m->up, CHANGED);
    /* written again with the same bytes: read as before */
    put(dir, "0001_a.up.sql", "CREATE TABLE a (id int);\n");
    assert_text(&m->up, "CREATE TABLE a (id int);\n");

    /* gone, or no longer a file */
    char *down = xasprintf("%s/0001_a.down.sql", dir);
    assert_int_equal(unlink(down), 0);
    assert_text_fails(&m->down, "cannot read PATH: No such file or directory");
    assert_int_equal(mkfifo(down, 0600), 0);
    assert_text_fails(&m->down, "PATH is no longer a regular file");
    free(down);

    /* an empty script is "" without reading its file */
    char *empty = xasprintf("%s/0002_b.down.sql", dir);
    assert_int_equal(s.migrations[1].down.length, 0);
    assert_int_equal(unlink(empty), 0);
    assert_text(&s.migrations[1].down, "");
    free(empty);
    source_free(&s);
    remove_tree(dir);

    /* dbmate: each section from its line, and the whole file must be as
     * it was (an edit of the down section refuses the up section too:
     * the file changed under the folder that was read) */
    dir = make_tmpdir();
    put(dir, "1_a.sql", "-- c\n-- migrate:up\nSELECT 1;\n\n-- migrate:down\nSELECT 2;\n");
    read_ok(dir, &s);
    m = &s.migrations[0];
    assert_text(&m->up, "SELECT 1;\n\n");
    assert_text(&m->down, "SELECT 2;\n");
    put(dir, "1_a.sql", "-- c\n-- migrate:up\nSELECT 1;\n\n-- migrate:down\nSELECT 3;\n");
    assert_text_fails(&m->up, CHANGED);
    assert_text_fails(&m->down, CHANGED);
    source_free(&s);
    remove_tree(dir);

    /* a file that could not be read as a script stands in as "" (its
     * problem stops everything else) */
    dir = make_tmpdir();
    put_len(dir, "0001_nul.up.sql", "SELECT 1;\0\n", 11);
    read_ok(dir, &s);
    assert_int_equal(s.count, 1);
    assert_text(&s.migrations[0].up, "");
    source_free(&s);
    remove_tree(dir);
}

/* ------------------------------------------------------------ file-system state */

static void test_symlinks(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    put(dir, "0001_a.up.sql", "SELECT 1;\n");
    char *loop1 = xasprintf("%s/0002_loop.up.sql", dir);
    char *loop2 = xasprintf("%s/0002_loop.down.sql", dir);
    assert_int_equal(symlink("0002_loop.down.sql", loop1), 0);
    assert_int_equal(symlink("0002_loop.up.sql", loop2), 0);
    char *dangling = xasprintf("%s/0003_gone.up.sql", dir);
    assert_int_equal(symlink("../elsewhere/0003_gone.up.sql", dangling), 0);
    char *good = xasprintf("%s/0004_linked.up.sql", dir);
    assert_int_equal(symlink("0001_a.up.sql", good), 0);
    migration_source s;
    read_ok(dir, &s);
    assert_problems(&s,
                    "D/0002_loop.down.sql: error: symlink loop (it points to 0002_loop.up.sql, "
                    "which leads back around); point it at a real file or remove it\n"
                    "D/0002_loop.up.sql: error: symlink loop (it points to 0002_loop.down.sql, "
                    "which leads back around); point it at a real file or remove it\n"
                    "D/0003_gone.up.sql: error: dangling symlink: ../elsewhere/0003_gone.up.sql "
                    "does not exist; point the link at a real file or remove it\n");
    assert_int_equal(s.errors, 3);
    /* the broken versions are still listed, so nothing else is blamed on them */
    assert_int_equal(s.count, 4);
    assert_text(&s.migrations[3].up, "SELECT 1;\n");
    free(loop1);
    free(loop2);
    free(dangling);
    free(good);
    source_free(&s);
    remove_tree(dir);
}

static void test_fifo_and_subfolder(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char *fifo = xasprintf("%s/0001_pipe.up.sql", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    char *sub = xasprintf("%s/archive", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    put(sub, "0001_old.up.sql", "SELECT 1;\n");
    migration_source s;
    read_ok(dir, &s);
    char *expected = xasprintf("D/0001_pipe.up.sql: error: not a regular file; replace it with a "
                               "file or remove it\n"
                               "D/archive: warning: ignored: a subfolder (only the files of %s "
                               "itself are read)\n",
                               dir);
    assert_problems(&s, expected);
    free(expected);
    free(fifo);
    free(sub);
    source_free(&s);
    remove_tree(dir);
}

/* The problems of reading `dir`, computed in a child process that runs as
 * nobody when this test runs as root (root reads a mode 000 file anyway). */
static char *problems_as_unprivileged(const char *dir)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
            _exit(3);
        migration_source s;
        sw_error err = {0};
        if (source_read(dir, &s, &err) != SW_OK)
            _exit(4);
        char *text = problems_text(&s);
        size_t len = strlen(text);
        ssize_t w = write(fds[1], text, len);
        free(text);
        source_free(&s);
        _exit(w == (ssize_t)len ? 0 : 5);
    }
    close(fds[1]);
    strbuf sb = {0};
    char buf[1024];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0)
        strbuf_append_len(&sb, buf, (size_t)n);
    close(fds[0]);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    return strbuf_detach(&sb);
}

static void test_unreadable_file(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    assert_int_equal(chmod(dir, 0755), 0);
    put(dir, "0001_a.up.sql", "SELECT 1;\n");
    put(dir, "0001_a.down.sql", "SELECT 1;\n");
    put(dir, "0002_secret.up.sql", "SELECT 2;\n");
    put(dir, "0002_secret.down.sql", "SELECT 2;\n");
    char *path = xasprintf("%s/0002_secret.up.sql", dir);
    assert_int_equal(chmod(path, 0), 0);
    char *got = problems_as_unprivileged(dir);
    /* one problem: the down file is not also blamed for a missing up */
    char *want = xasprintf("%s/0002_secret.up.sql: error: cannot read: %s\n", "D", strerror(EACCES));
    assert_string_equal(got, want);
    free(want);
    free(got);
    free(path);
    remove_tree(dir);
}

static void test_bytes_problems(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    put_len(dir, "0001_nul.up.sql", "SELECT 1;\nSELECT\0 2;\n", 21);
    put(dir, "0002_latin1.up.sql", "SELECT 1;\n\nSELECT 'caf\xe9';\n");
    put(dir, "0003_overlong.up.sql", "SELECT '\xc0\xaf';\n");
    put(dir, "0004_ok.up.sql", "SELECT 'caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80';\n");
    migration_source s;
    read_ok(dir, &s);
    assert_problems(&s, "D/0001_nul.up.sql:2: error: NUL byte: this is not a text file; save the "
                        "script as UTF-8 text\n"
                        "D/0002_latin1.up.sql:3: error: invalid UTF-8 (byte 0xE9); save the file "
                        "as UTF-8\n"
                        "D/0003_overlong.up.sql:1: error: invalid UTF-8 (byte 0xC0); save the "
                        "file as UTF-8\n");
    assert_int_equal(s.errors, 3);
    source_free(&s);
    remove_tree(dir);
}

static void test_problem_text_escapes(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    put(dir, "evil\x1b[2J.sql", "SELECT 1;\n");
    migration_source s;
    read_ok(dir, &s);
    assert_int_equal(s.nproblems, 1);
    char *line = source_problem_text(&s, &s.problems[0]);
    assert_null(strchr(line, '\x1b'));
    assert_non_null(strstr(line, "/evil\\x1B[2J.sql: error: the name matches no layout"));
    free(line);
    source_free(&s);
    remove_tree(dir);
}

/* ------------------------------------------------------------ new */

/* source_new in `dir` (read first), expecting success: the created paths'
 * names inside dir, joined with spaces. */
static char *new_names(const char *dir, const char *name, time_t now)
{
    migration_source s;
    read_ok(dir, &s);
    char *paths[2];
    size_t npaths = 0;
    sw_error err = {0};
    if (source_new(&s, name, now, paths, &npaths, &err) != SW_OK)
        fail_msg("source_new failed: %s", err.message);
    strbuf sb = {0};
    size_t dlen = strlen(dir);
    for (size_t i = 0; i < npaths; i++) {
        assert_memory_equal(paths[i], dir, dlen);
        strbuf_appendf(&sb, "%s%s", i ? " " : "", paths[i] + dlen + 1);
        free(paths[i]);
    }
    source_free(&s);
    return strbuf_detach(&sb);
}

static void assert_new(const char *dir, const char *name, time_t now, const char *expected)
{
    char *got = new_names(dir, name, now);
    assert_string_equal(got, expected);
    free(got);
}

/* A created migration reads back as the version and name it was made for. */
static void assert_reads_back(const char *dir, const char *version, const char *name)
{
    migration_source s;
    read_ok(dir, &s);
    const migration *m = source_find(&s, version);
    assert_non_null(m);
    assert_string_equal(m->version, version);
    assert_string_equal(m->name, name);
    source_free(&s);
}

static void test_new_pairs(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    assert_new(dir, "create_users", 0, "0001_create_users.up.sql 0001_create_users.down.sql");
    assert_reads_back(dir, "0001", "create_users");
    char *up = xasprintf("%s/0001_create_users.up.sql", dir);
    char *text = slurp(up);
    assert_string_equal(text, "-- create_users\n\n");
    free(text);
    free(up);
    char *down = xasprintf("%s/0001_create_users.down.sql", dir);
    text = slurp(down);
    assert_string_equal(text, "-- Roll back create_users: what 0001_create_users.up.sql did, in "
                              "reverse.\n\n");
    free(text);
    free(down);
    /* the template's up script is empty: an error until it is written */
    migration_source s;
    read_ok(dir, &s);
    assert_int_equal(s.errors, 1);
    source_free(&s);
    put(dir, "0001_create_users.up.sql", "CREATE TABLE users (id int);\n");
    assert_new(dir, "2fa", 0, "0002_2fa.up.sql 0002_2fa.down.sql");
    assert_reads_back(dir, "0002", "2fa");
    remove_tree(dir);

    /* padding kept, and growing past it */
    dir = make_tmpdir();
    put(dir, "0009_a.up.sql", "SELECT 1;\n");
    assert_new(dir, "b", 0, "0010_b.up.sql 0010_b.down.sql");
    remove_tree(dir);
    dir = make_tmpdir();
    put(dir, "99_a.up.sql", "SELECT 1;\n");
    put(dir, "7_b.up.sql", "SELECT 1;\n");
    assert_new(dir, "c", 0, "100_c.up.sql 100_c.down.sql");
    assert_reads_back(dir, "100", "c");
    remove_tree(dir);
    /* dotted: the last segment goes up by one */
    dir = make_tmpdir();
    put(dir, "1.2.9_a.up.sql", "SELECT 1;\n");
    put(dir, "1.1_b.up.sql", "SELECT 1;\n");
    assert_new(dir, "c", 0, "1.2.10_c.up.sql 1.2.10_c.down.sql");
    assert_reads_back(dir, "1.2.10", "c");
    remove_tree(dir);
}

static void test_new_timestamps(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    put(dir, "20240101120000_a.up.sql", "SELECT 1;\n");
    /* 2024-03-05 06:07:08 UTC */
    assert_new(dir, "b", 1709618828, "20240305060708_b.up.sql 20240305060708_b.down.sql");
    put(dir, "20240305060708_b.up.sql", "SELECT 1;\n");
    assert_reads_back(dir, "20240305060708", "b");
    /* a clock behind the last version: one second after it */
    assert_new(dir, "c", 0, "20240305060709_c.up.sql 20240305060709_c.down.sql");
    put(dir, "20240305060709_c.up.sql", "SELECT 1;\n");
    /* and across a day boundary */
    put(dir, "20241231235959_d.up.sql", "SELECT 1;\n");
    assert_new(dir, "e", 1709618828, "20250101000000_e.up.sql 20250101000000_e.down.sql");
    remove_tree(dir);
}

static void test_new_dbmate_and_flyway(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    put(dir, "20240101120000_a.sql", "-- migrate:up\nSELECT 1;\n");
    assert_new(dir, "add_email", 1709618828, "20240305060708_add_email.sql");
    char *path = xasprintf("%s/20240305060708_add_email.sql", dir);
    char *text = slurp(path);
    assert_string_equal(text, "-- migrate:up\n\n\n-- migrate:down\n\n");
    free(text);
    free(path);
    assert_reads_back(dir, "20240305060708", "add_email");
    remove_tree(dir);

    dir = make_tmpdir();
    put(dir, "V1__init.sql", "SELECT 1;\n");
    put(dir, "V2__more.sql", "SELECT 1;\n");
    assert_new(dir, "third", 0, "V3__third.sql U3__third.sql");
    path = xasprintf("%s/U3__third.sql", dir);
    text = slurp(path);
    assert_string_equal(text, "-- Undo third: what V3__third.sql did, in reverse.\n\n");
    free(text);
    free(path);
    assert_reads_back(dir, "3", "third");
    remove_tree(dir);
}

static void test_new_refusals(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    put(dir, "0001_a.up.sql", "SELECT 1;\n");
    migration_source s;
    read_ok(dir, &s);
    static const char *const bad[] = {"", "add-email", "add email", "caf\xc3\xa9", "a.b", "a/b",
                                      "x\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *paths[2] = {NULL, NULL};
        size_t n = 9;
        sw_error err = {0};
        assert_int_equal(source_new(&s, bad[i], 0, paths, &n, &err), SW_USAGE);
        assert_non_null(strstr(err.message, "is not a valid migration name: use letters, digits "
                                            "and underscores only"));
        assert_int_equal(n, 0);
        assert_null(paths[0]);
    }
    char long_name[202];
    memset(long_name, 'a', 201);
    long_name[201] = '\0';
    char *paths[2];
    size_t n;
    sw_error err = {0};
    assert_int_equal(source_new(&s, long_name, 0, paths, &n, &err), SW_USAGE);
    source_free(&s);

    /* a folder with errors */
    put(dir, "0001_dup.up.sql", "SELECT 1;\n");
    read_ok(dir, &s);
    assert_int_equal(source_new(&s, "b", 0, paths, &n, &err), SW_USAGE);
    char *want = xasprintf("%s has 1 error; fix it first", dir);
    assert_string_equal(err.message, want);
    free(want);
    source_free(&s);
    char *dup = xasprintf("%s/0001_dup.up.sql", dir);
    assert_int_equal(unlink(dup), 0);
    free(dup);

    /* the down file's name is taken (by a folder, which the reader skips):
     * nothing is created, not even the up file */
    char *taken = xasprintf("%s/0002_b.down.sql", dir);
    assert_int_equal(mkdir(taken, 0700), 0);
    read_ok(dir, &s);
    assert_int_equal(source_new(&s, "b", 0, paths, &n, &err), SW_USAGE);
    want = xasprintf("cannot create %s: File exists (nothing was changed)", taken);
    assert_string_equal(err.message, want);
    free(want);
    char *up = xasprintf("%s/0002_b.up.sql", dir);
    assert_int_equal(access(up, F_OK), -1);
    free(up);
    free(taken);
    source_free(&s);
    remove_tree(dir);
}

/* ------------------------------------------------------------ folder */

static void test_find_dir(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char *out = NULL;
    sw_error err = {0};
    assert_int_equal(source_find_dir(NULL, dir, &out, &err), SW_USAGE);
    assert_null(out);
    assert_non_null(strstr(err.message, "looked for ./migrations and ./db/migrations"));

    char *db = xasprintf("%s/db", dir);
    char *dbm = xasprintf("%s/db/migrations", dir);
    assert_int_equal(mkdir(db, 0700), 0);
    assert_int_equal(mkdir(dbm, 0700), 0);
    assert_int_equal(source_find_dir(NULL, dir, &out, &err), SW_OK);
    assert_string_equal(out, dbm);
    free(out);

    char *m = xasprintf("%s/migrations", dir);
    assert_int_equal(mkdir(m, 0700), 0);
    assert_int_equal(source_find_dir(NULL, dir, &out, &err), SW_OK);
    assert_string_equal(out, m);
    free(out);

    /* --dir wins, relative to cwd, and must be a folder that exists */
    assert_int_equal(source_find_dir("db", dir, &out, &err), SW_OK);
    assert_string_equal(out, db);
    free(out);
    assert_int_equal(source_find_dir(dbm, "/nonexistent", &out, &err), SW_OK);
    assert_string_equal(out, dbm);
    free(out);
    assert_int_equal(source_find_dir("nope", dir, &out, &err), SW_USAGE);
    assert_string_equal(err.message, "--dir nope: No such file or directory");
    put(dir, "file.sql", "");
    assert_int_equal(source_find_dir("file.sql", dir, &out, &err), SW_USAGE);
    assert_string_equal(err.message, "--dir file.sql is not a folder");
    free(db);
    free(dbm);
    free(m);
    remove_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version_valid),
        cmocka_unit_test(test_version_compare),
        cmocka_unit_test(test_layout_pairs),
        cmocka_unit_test(test_layout_dbmate),
        cmocka_unit_test(test_layout_flyway),
        cmocka_unit_test(test_empty_folder),
        cmocka_unit_test(test_ordering_numeric),
        cmocka_unit_test(test_ordering_padded_and_timestamps),
        cmocka_unit_test(test_directives),
        cmocka_unit_test(test_directives_dbmate),
        cmocka_unit_test(test_transaction_mismatch_is_shown),
        cmocka_unit_test(test_sha256_known_values),
        cmocka_unit_test(test_checksums_of_files),
        cmocka_unit_test(test_script_text_read_again),
        cmocka_unit_test(test_symlinks),
        cmocka_unit_test(test_fifo_and_subfolder),
        cmocka_unit_test(test_unreadable_file),
        cmocka_unit_test(test_bytes_problems),
        cmocka_unit_test(test_problem_text_escapes),
        cmocka_unit_test(test_new_pairs),
        cmocka_unit_test(test_new_timestamps),
        cmocka_unit_test(test_new_dbmate_and_flyway),
        cmocka_unit_test(test_new_refusals),
        cmocka_unit_test(test_find_dir),
    };
    return cmocka_run_group_tests_name("source", tests, NULL, NULL);
}
