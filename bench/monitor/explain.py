#!/usr/bin/env python3
"""Print EXPLAIN (ANALYZE, BUFFERS) statements for the monitor's queries,
taken from core/monitor.c's string constants (activity_sql; locks_sql, and
locks_sql + prepared_sql), for psql to run under the benchmark's load.

usage: explain.py TOP_SRCDIR | psql -X
"""
import re, sys

src = open(sys.argv[1] + "/core/monitor.c").read()
lit = re.compile(r'"((?:[^"\\]|\\.)*)"')

def literals(text):
    return "".join(m.group(1).encode().decode("unicode_escape") for m in lit.finditer(text))

macro = re.search(r"#define LOCK_KEY(.*?)\n\n", src, re.S).group(1)
lock_key = literals(macro.replace("\\\n", "\n"))

def const(name):
    body = re.search(r"static const char %s\[\] =(.*?);\n" % name, src, re.S).group(1)
    body = body.replace("LOCK_KEY", '"' + lock_key.replace('"', '\\"') + '"')
    return literals(body)

for name, sql in (("activity_sql", const("activity_sql")),
                  ("locks_sql", const("locks_sql")),
                  ("locks_sql + prepared_sql", const("locks_sql") + const("prepared_sql"))):
    print("\\echo '--- %s'" % name)
    print("EXPLAIN (ANALYZE, BUFFERS, TIMING) %s;" % sql)
