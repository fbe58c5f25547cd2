#!/usr/bin/env python3
"""Print EXPLAIN (ANALYZE, BUFFERS) statements for the monitor's queries,
taken from core/monitor.c's string constants and macros (activity_sql;
the lock query as monitor_open puts it together: locks_head, the wait
age, the lock key or NULL, locks_tail, and prepared_sql), for psql to run
under the benchmark's load. The monitor's connection runs with an empty
search_path; so do these.

usage: explain.py TOP_SRCDIR | psql -X
"""
import re, sys

src = open(sys.argv[1] + "/core/monitor.c").read()
lit = re.compile(r'"((?:[^"\\]|\\.)*)"')

def literals(text):
    return "".join(m.group(1).encode().decode("unicode_escape") for m in lit.finditer(text))

def macro(name):
    body = re.search(r"#define %s\b(.*?)\n(?!\s)" % name, src.replace("\\\n", " "), re.S)
    return literals(body.group(1))

def expand(text):
    """String literals of text, with the monitor's macros put in."""
    for name in ("LOCK_KEY", "DB_STAMP", "WAIT_AGE"):
        text = re.sub(r"\b%s\b" % name, '"' + macro(name).replace('"', '\\"') + '"', text)
    return literals(text)

def const(name):
    return expand(re.search(r"static const char %s\[\] =(.*?);\n" % name, src, re.S).group(1))

locks = const("locks_head") + macro("WAIT_AGE")
print("SET search_path = '';")
for name, sql in (("activity_sql", const("activity_sql")),
                  ("lock query", locks + ", NULL" + const("locks_tail")),
                  ("lock query with prepared transactions",
                   locks + ", " + macro("LOCK_KEY") + const("locks_tail") + const("prepared_sql"))):
    print("\\echo '--- %s'" % name)
    print("EXPLAIN (ANALYZE, BUFFERS, TIMING) %s;" % sql)
