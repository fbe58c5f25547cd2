#!/bin/sh
# The supervised apply's cmocka tests (hold, step, stop, gate) against a
# throwaway PostgreSQL server; without it the same program runs on SQLite.
exec "$top_srcdir/tests/harness/with-pg" "$top_builddir/tests/integration/test_apply_steps"
