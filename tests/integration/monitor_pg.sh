#!/bin/sh
# The lock monitor's cmocka tests, against a throwaway server.
exec "$top_srcdir/tests/harness/with-pg" "$top_builddir/tests/integration/test_monitor_pg"
