#!/bin/sh
# Lock prediction checked against pg_locks on a throwaway server.
exec "$top_srcdir/tests/harness/with-pg" "$top_builddir/tests/integration/test_locks_pg"
