/* One database interface, two drivers (PostgreSQL through libpq, SQLite).
 * Also where a --db value is understood: libpq conninfo or URI, sqlite:PATH
 * or a path ending in .db, .sqlite or .sqlite3, with the DESIGN.md §4 fallbacks. */
#ifndef STEPWISE_DB_H
#define STEPWISE_DB_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "core/util.h"

typedef enum db_kind {
    DB_POSTGRES,
    DB_SQLITE,
} db_kind;

/* Where the target came from; shown to the user, since picking up an
 * unexpected DATABASE_URL is exactly the mistake a DBA wants to see. */
typedef enum db_origin {
    DB_FROM_OPTION,       /* -d/--db */
    DB_FROM_STEPWISE_DB,  /* $STEPWISE_DB */
    DB_FROM_DATABASE_URL, /* $DATABASE_URL */
    DB_FROM_LIBPQ_ENV,    /* nothing given: libpq's PGHOST, PGDATABASE, ... */
} db_origin;

typedef struct db_target {
    db_kind kind;
    db_origin origin;
    char *conninfo; /* PostgreSQL, as given ("" for libpq's environment);
                       may hold a password: never show it */
    char *path;     /* SQLite file */
    char *display;  /* for people and logs: never contains a password */
    char *secret;   /* the password written in the target, if any, decoded */
    char *secret_raw; /* the same as written (URI percent-encoding), if any */
} db_target;

/* Understand one target string. Errors are SW_USAGE with a message that
 * never repeats a password. */
sw_status db_target_parse(const char *spec, db_origin origin, db_target *out, sw_error *err);

/* Apply the fallbacks: the option, else $STEPWISE_DB, else $DATABASE_URL,
 * else libpq's environment. Empty strings count as unset. The caller
 * passes the environment values so that core never reads it behind the
 * caller's back. */
sw_status db_target_resolve(const char *option, const char *stepwise_db,
                            const char *database_url, db_target *out, sw_error *err);
void db_target_free(db_target *t);
const char *db_origin_name(db_origin origin);

/* Whether a server host (db_server_info.host) is this machine: a socket
 * folder, localhost, 127.0.0.1 or ::1. The production guard asks for the
 * database name on anything else. */
bool db_host_is_local(const char *host);

/* Append key=value to a libpq conninfo string, quoted as libpq reads it
 * (a space first unless the string is empty). */
void db_conninfo_append(strbuf *sb, const char *key, const char *value);

/* Remove the target's password from a message (decoded and raw forms). */
char *db_target_redact(const db_target *t, const char *message);

typedef struct db db;

enum db_open_flags {
    DB_OPEN_EXISTING = 0, /* a SQLite file that does not exist is an error */
    DB_OPEN_CREATE = 1,   /* create the SQLite file if needed */
};

/* Connect (PostgreSQL) or open (SQLite). Failure is SW_CONNECT with one
 * line naming the target and the reason. */
sw_status db_open(const db_target *t, unsigned flags, db **out, sw_error *err);
void db_close(db *d);
db_kind db_get_kind(const db *d);

/* Text results of one query: values[row * ncols + col], NULL for SQL NULL. */
typedef struct db_result {
    int nrows;
    int ncols;
    char **names;
    char **values;
    size_t cap; /* allocated rows */
} db_result;

const char *db_result_value(const db_result *r, int row, int col);
int db_result_column(const db_result *r, const char *name); /* -1 if absent */
void db_result_free(db_result *r);

/* Run a script of one or more statements that return nothing of interest. */
sw_status db_exec(db *d, const char *sql, sw_error *err);
/* Run one statement with text parameters ($1.. on PostgreSQL, ?1.. or ? on
 * SQLite) and collect its rows. */
sw_status db_query(db *d, const char *sql, int nparams, const char *const *params,
                   db_result **out, sw_error *err);

/* Prepare one statement under `name` for repeated use on this connection
 * (a PostgreSQL prepared statement, a cached SQLite statement): the
 * server plans it once, not at every call. A name is prepared once. */
sw_status db_prepare(db *d, const char *name, const char *sql, sw_error *err);
/* Run a statement prepared with db_prepare, as db_query runs text. */
sw_status db_query_prepared(db *d, const char *name, int nparams, const char *const *params,
                            db_result **out, sw_error *err);

/* Notices the server sent (PostgreSQL NOTICE/WARNING); core never prints
 * them, the front end decides. */
size_t db_notice_count(const db *d);
const char *db_notice(const db *d, size_t i);
void db_notices_clear(db *d);

typedef struct db_server_info {
    char *product;      /* "PostgreSQL" or "SQLite" */
    char *version;      /* "15.18", "3.40.1" */
    int version_num;    /* 150018, 3040001 */
    char *database;     /* database name, or the SQLite file's full path */
    char *user;         /* current_user; NULL on SQLite */
    char *host;         /* host name or socket folder; NULL on SQLite */
    char *port;         /* NULL on SQLite */
    bool in_recovery;   /* a PostgreSQL replica (pg_is_in_recovery) */
    bool read_only;     /* transactions are read-only / file opened read-only */
} db_server_info;

sw_status db_server_info_get(db *d, db_server_info *out, sw_error *err);
void db_server_info_free(db_server_info *info);

/* Quoting through the driver's own escaping (PQescapeIdentifier /
 * PQescapeLiteral, sqlite3_mprintf %w / %Q). Newly allocated. */
char *db_quote_ident(db *d, const char *name);
char *db_quote_literal(db *d, const char *text);

/* The server process of this connection (pg_backend_pid), 0 on SQLite. */
int db_backend_pid(db *d);

/* Asynchronous execution, so that a caller can keep drawing, watch locks
 * and cancel while the server works. db_send starts a script of one or
 * more statements (PostgreSQL: one simple-query message; SQLite runs it
 * at once, statement by statement, since the work is local);
 * db_poll waits up to timeout_ms (0: just look) and says whether the
 * work has finished; db_finish collects the outcome. One piece of work
 * at a time per connection. */
typedef struct db_outcome {
    bool ok;
    int completed;      /* statements that finished before the error (all when ok) */
    long long rows;     /* rows affected by the last statement that finished */
    char sqlstate[6];   /* of the error, "" when none */
    int position;       /* PostgreSQL: 1-based character position of the error
                           in the text sent, 0 when the server gave none;
                           SQLite: 1-based byte position in the text sent */
} db_outcome;

sw_status db_send(db *d, const char *sql, sw_error *err);
sw_status db_poll(db *d, int timeout_ms, bool *done, sw_error *err);
/* The outcome; SW_FAILED with the server's message in err when the work
 * failed (out->ok false), SW_OK when it succeeded. */
sw_status db_finish(db *d, db_outcome *out, sw_error *err);
/* Ask the server to cancel the work in progress (PQcancel, as psql does
 * on Ctrl-C; sqlite3_interrupt). Safe to call from the poll loop. */
sw_status db_cancel(db *d, sw_error *err);
/* The connection's socket to wait on (PostgreSQL), -1 on SQLite. */
int db_socket(db *d);

/* "15.18" from 150018, "9.6.24" from 90624. */
char *db_pg_version_text(int version_num);

#endif
