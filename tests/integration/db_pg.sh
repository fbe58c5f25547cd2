#!/bin/sh
# The PostgreSQL driver's cmocka tests, against a throwaway server.
exec "$top_srcdir/tests/harness/with-pg" "$top_builddir/tests/integration/test_db_pg"
