#!/usr/bin/env python3
"""Hold the monitor benchmark's load open: IDLE idle connections and
CHAINS chains of DEPTH waiting sessions, each a psql process whose standard
input is a pipe kept open here. Exits (closing every pipe, then killing any
psql left) on SIGTERM, SIGINT or SIGHUP.

usage: load.py IDLE CHAINS DEPTH   (connection from PGHOST/PGPORT/... )
Tables c<i>_<j> (i < CHAINS, j <= DEPTH) must exist.

Chain i: session j (0..DEPTH) begins, takes ACCESS EXCLUSIVE on its own
table c<i>_<j>, and (j > 0) then waits on c<i>_<j-1> with one of several
statements, so session 0 is the root blocker (idle in transaction) and
sessions 1..DEPTH form a chain of depth DEPTH.
"""
import os, signal, subprocess, sys, time

idle, chains, depth = (int(a) for a in sys.argv[1:4])
procs = []

def spawn(sql, app):
    env = dict(os.environ, PGAPPNAME=app)
    p = subprocess.Popen(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=0"],
                         stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, env=env)
    p.stdin.write(sql.encode())
    p.stdin.flush()
    procs.append(p)

def stop(*_):
    for p in procs:
        try:
            p.stdin.close()
        except Exception:
            pass
    for p in procs:
        try:
            p.terminate()
        except Exception:
            pass
    for p in procs:
        try:
            p.wait(timeout=5)
        except Exception:
            p.kill()
    sys.exit(0)

signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
signal.signal(signal.SIGHUP, stop)

waits = [
    "ALTER TABLE {t} ADD COLUMN extra int;",
    "SELECT count(*) FROM {t};",
    "LOCK TABLE {t} IN SHARE MODE;",
    "INSERT INTO {t} VALUES (1);",
    "UPDATE {t} SET id = id + 1;",
]
for i in range(idle):
    spawn("SELECT 1;\n", "bench-idle")
def granted(j):
    """How many of the c<i>_<j> tables are locked ACCESS EXCLUSIVE."""
    out = subprocess.run(["psql", "-X", "-Atqc",
                          "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
                          " WHERE l.granted AND l.mode = 'AccessExclusiveLock'"
                          " AND c.relname ~ '^c[0-9]+_%d$'" % j],
                         capture_output=True, text=True)
    return int(out.stdout.strip() or 0)

# Level by level, so that session j holds its own table before session j+1
# queues on it.
for j in range(depth + 1):
    for i in range(chains):
        sql = "BEGIN;\nLOCK TABLE c%d_%d IN ACCESS EXCLUSIVE MODE;\n" % (i, j)
        if j > 0:
            sql += waits[(j - 1) % len(waits)].format(t="c%d_%d" % (i, j - 1)) + "\n"
        spawn(sql, "bench-chain")
    deadline = time.time() + 30
    while granted(j) < chains and time.time() < deadline:
        time.sleep(0.05)
print("load.py: %d connections" % len(procs), file=sys.stderr, flush=True)
# Hold until told to stop.
while True:
    signal.pause()
