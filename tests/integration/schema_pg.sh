#!/bin/sh
# schema_snapshot_take's cmocka tests, against a throwaway server.
exec "$top_srcdir/tests/harness/with-pg" "$top_builddir/tests/integration/test_schema_pg"
