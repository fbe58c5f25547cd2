/* Splitting migration scripts into statements with their positions, and
 * classifying each PostgreSQL statement from libpg_query's parse tree:
 * its kind, the relations it locks and in which mode, whether it can run
 * in a transaction block, whether it destroys data. */
#ifndef STEPWISE_SQLPARSE_H
#define STEPWISE_SQLPARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "core/locks.h"

typedef enum sql_dialect {
    SQL_POSTGRES,
    SQL_SQLITE,
} sql_dialect;

typedef struct sql_lock {
    char *relation;    /* as written: schema-qualified when written so */
    lock_mode mode;
    bool created;      /* the statement creates this relation: it is new */
    bool index;        /* the relation is an index, not a table */
    const char *why;   /* what takes it: "CREATE INDEX", "foreign key" */
} sql_lock;

typedef struct sql_statement {
    size_t offset;     /* first byte of the first token in the script */
    size_t length;     /* up to, not including, the terminating ';' */
    int line, column;  /* 1-based; columns count characters, not bytes */
    char *text;        /* the statement as written, without the ';' */

    bool analysed;     /* false: the PostgreSQL 15 grammar rejected it,
                          or the dialect has no parse tree (SQLite) */
    char *error;       /* parser message when not analysed (PostgreSQL) */
    int error_line, error_column;

    char *kind;        /* "CREATE INDEX CONCURRENTLY", "ALTER TABLE" */
    char *detail;      /* ALTER TABLE sub-commands: "ADD COLUMN, SET NOT NULL" */
    bool transactional; /* may run inside a transaction block */
    bool destructive;  /* drops, truncates, DELETE/UPDATE without WHERE */
    bool transaction_control; /* BEGIN, COMMIT, SAVEPOINT, ... */
    sql_lock *locks;
    size_t nlocks;
    size_t locks_cap;

    const void *tree;  /* PgQuery__Node of the statement (core use only) */
} sql_statement;

typedef struct sql_script {
    char *path;        /* for messages: "file:line:col" */
    char *text;        /* the whole script, NUL-terminated */
    size_t length;
    sql_dialect dialect;
    sql_statement *statements;
    size_t count;
    size_t cap;
    void *arena;       /* the parse trees live here (opaque, internal) */
    /* Where the last position was computed (internal): positions are
     * found by moving forward from there, not by counting from the start
     * of the script each time. */
    size_t cursor_offset;
    int cursor_line, cursor_column;
} sql_script;

/* Split and classify `text` (`length` bytes, need not be NUL-terminated).
 * A statement the grammar rejects is kept, marked not analysed, with the
 * parser's message and position; that is not a failure of this call.
 * Fails only on input that is not text (a NUL byte). */
sw_status sql_script_parse(sql_script *out, const char *path, const char *text, size_t length,
                           sql_dialect dialect, sw_error *err);
void sql_script_free(sql_script *script);

/* The strongest lock a statement takes on any relation (LOCK_NONE if none). */
lock_mode sql_statement_strongest_lock(const sql_statement *stmt);
/* Number of statements the grammar rejected. */
size_t sql_script_errors(const sql_script *script);

/* Visit every protobuf message below `tree` (a statement's parse tree or
 * any part of it), depth-first, for core modules that inspect parse trees.
 * `message` is a ProtobufCMessage; depth is bounded. */
typedef void (*sql_tree_visit)(const void *message, void *arg);
void sql_tree_walk(const void *tree, sql_tree_visit visit, void *arg);

/* 1-based line and character column of byte `offset` in `text`. */
void sql_position(const char *text, size_t offset, int *line, int *column);

/* A relation name as PostgreSQL prints it: quoted only when needed. */
char *sql_quote_identifier(const char *name);

#endif
