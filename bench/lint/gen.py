#!/usr/bin/env python3
"""Generate a deterministic PostgreSQL migration script for the lint benchmark.

    bench/lint/gen.py [--statements N] [--seed S] [OUTPUT]

N statements (default 100,000) of mixed, realistic migration SQL: CREATE
TABLE, the ALTER TABLE variants the lint rules look at, CREATE INDEX (with
and without CONCURRENTLY), INSERT / UPDATE / DELETE, views, dollar-quoted
plpgsql functions and triggers, comments, an occasional
"-- stepwise:allow" comment. Every statement is valid PostgreSQL 15, so
the script parses as a whole (the fast path of stepwise's splitter).
The same arguments always give the same bytes (own PRNG, no hash seeds).
Writes to OUTPUT, or standard output.
"""

import argparse
import sys


class Rng:
    """xorshift64*: the same sequence on every Python version."""

    def __init__(self, seed):
        self.s = (seed * 0x9E3779B97F4A7C15 + 1) & 0xFFFFFFFFFFFFFFFF or 1

    def next(self):
        s = self.s
        s ^= (s >> 12)
        s ^= (s << 25) & 0xFFFFFFFFFFFFFFFF
        s ^= (s >> 27)
        self.s = s
        return (s * 0x2545F4914F6CDD1D) & 0xFFFFFFFFFFFFFFFF

    def below(self, n):
        return (self.next() >> 11) % n

    def pick(self, seq):
        return seq[self.below(len(seq))]


WORDS = ("account", "order", "invoice", "customer", "product", "shipment", "payment",
         "address", "session", "event", "audit", "review", "coupon", "warehouse",
         "supplier", "category", "tag", "comment", "message", "report")
COLUMN_TYPES = ("bigint", "integer", "text", "varchar(120)", "timestamptz", "timestamp",
                "boolean", "numeric(12,2)", "jsonb", "uuid", "date", "smallint",
                "text[]", "json", "double precision")
VOLATILE = ("now()", "gen_random_uuid()", "clock_timestamp()", "random()")


class Gen:
    def __init__(self, seed):
        self.r = Rng(seed)
        self.tables = []     # (name, [(column, type)])
        self.counter = 0

    def fresh(self, prefix):
        self.counter += 1
        return "%s_%d" % (prefix, self.counter)

    def table(self):
        if not self.tables or self.r.below(20) == 0:
            return self.create_table(record_only=True)
        return self.r.pick(self.tables)

    def column(self, t):
        return self.r.pick(t[1])

    def literal(self, typ):
        r = self.r
        if typ in ("bigint", "integer", "smallint"):
            return str(r.below(100000))
        if typ == "numeric(12,2)" or typ == "double precision":
            return "%d.%02d" % (r.below(10000), r.below(100))
        if typ == "boolean":
            return r.pick(("true", "false"))
        if typ in ("timestamptz", "timestamp", "date"):
            return "'2024-%02d-%02d'" % (1 + r.below(12), 1 + r.below(28))
        if typ in ("jsonb", "json"):
            return "'{\"k\": %d, \"tags\": [\"a\", \"b\"]}'" % r.below(1000)
        if typ == "uuid":
            return "'%08x-0000-4000-8000-%012x'" % (r.below(1 << 32), r.below(1 << 48))
        if typ == "text[]":
            return "ARRAY['x', 'y']"
        return "'%s %d; it''s fine'" % (r.pick(WORDS), r.below(1000))

    # ------------------------------------------------------------ statements

    def create_table(self, record_only=False):
        r = self.r
        name = self.fresh(r.pick(WORDS) + "s")
        cols = [("id", "bigint")]
        for _ in range(2 + r.below(8)):
            cols.append((self.fresh(r.pick(WORDS)), r.pick(COLUMN_TYPES)))
        self.tables.append((name, cols))
        if len(self.tables) > 400:
            self.tables.pop(0)
        if record_only:
            self.pending.append(self.render_create(name, cols))
            return self.tables[-1]
        return self.render_create(name, cols)

    def render_create(self, name, cols):
        r = self.r
        lines = ["    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY"]
        for c, t in cols[1:]:
            extra = ""
            k = r.below(6)
            if k == 0:
                extra = " NOT NULL"
            elif k == 1 and t in ("timestamptz", "timestamp"):
                extra = " NOT NULL DEFAULT now()"
            elif k == 2 and t == "text":
                extra = " CHECK (length(%s) < 500)" % c
            lines.append("    %s %s%s" % (c, t, extra))
        if len(self.tables) > 1 and r.below(3) == 0:
            other = self.tables[r.below(len(self.tables) - 1)][0]
            lines.append("    %s_id bigint REFERENCES %s (id) ON DELETE CASCADE" % (other, other))
        return "CREATE TABLE %s (\n%s\n)" % (name, ",\n".join(lines))

    def alter_table(self):
        r = self.r
        t = self.table()
        name = t[0]
        k = r.below(16)
        if k == 0:
            col, typ = self.fresh("col"), r.pick(COLUMN_TYPES)
            t[1].append((col, typ))
            return "ALTER TABLE %s ADD COLUMN %s %s" % (name, col, typ)
        if k == 1:
            col = self.fresh("flag")
            t[1].append((col, "boolean"))
            return "ALTER TABLE %s ADD COLUMN %s boolean NOT NULL DEFAULT false" % (name, col)
        if k == 2:
            col = self.fresh("created")
            t[1].append((col, "timestamptz"))
            return "ALTER TABLE %s ADD COLUMN %s timestamptz DEFAULT %s" % (name, col, r.pick(VOLATILE))
        if k == 3:
            return "ALTER TABLE %s ALTER COLUMN %s SET NOT NULL" % (name, self.column(t)[0])
        if k == 4:
            return "ALTER TABLE %s ALTER COLUMN %s DROP NOT NULL" % (name, self.column(t)[0])
        if k == 5:
            c = self.column(t)
            new = r.pick(("text", "bigint", "varchar(200)", "timestamptz", "numeric(14,2)"))
            return "ALTER TABLE %s ALTER COLUMN %s TYPE %s USING %s::%s" % (name, c[0], new, c[0], new)
        if k == 6:
            return "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s" % (
                name, self.column(t)[0], self.literal(self.column(t)[1]))
        if k == 7 and len(self.tables) > 1:
            other = r.pick(self.tables)[0]
            fk = self.fresh("fk")
            nv = " NOT VALID" if r.below(2) else ""
            return ("ALTER TABLE %s ADD CONSTRAINT %s FOREIGN KEY (id) REFERENCES %s (id)%s"
                    % (name, fk, other, nv))
        if k == 8:
            return "ALTER TABLE %s VALIDATE CONSTRAINT %s" % (name, self.fresh("fk"))
        if k == 9:
            return "ALTER TABLE %s ADD CONSTRAINT %s CHECK (id > 0)%s" % (
                name, self.fresh("chk"), r.pick(("", " NOT VALID")))
        if k == 10:
            return "ALTER TABLE %s ADD CONSTRAINT %s UNIQUE (%s)" % (
                name, self.fresh("uq"), self.column(t)[0])
        if k == 11 and len(t[1]) > 3:
            c = t[1].pop()
            return "ALTER TABLE %s DROP COLUMN IF EXISTS %s" % (name, c[0])
        if k == 12 and len(t[1]) > 1:
            i = 1 + r.below(len(t[1]) - 1)
            old = t[1][i]
            new = self.fresh(old[0].rsplit("_", 1)[0])
            t[1][i] = (new, old[1])
            return "ALTER TABLE %s RENAME COLUMN %s TO %s" % (name, old[0], new)
        if k == 13:
            return "ALTER TABLE %s SET (fillfactor = %d, autovacuum_vacuum_scale_factor = 0.05)" % (
                name, 70 + r.below(30))
        if k == 14:
            a, b = self.fresh("col"), self.fresh("col")
            t[1].extend([(a, "text"), (b, "integer")])
            return "ALTER TABLE %s\n    ADD COLUMN %s text,\n    ADD COLUMN %s integer DEFAULT 0" % (
                name, a, b)
        return "ALTER TABLE %s OWNER TO app_owner" % name

    def create_index(self):
        r = self.r
        t = self.table()
        c = self.column(t)[0]
        conc = " CONCURRENTLY" if r.below(3) == 0 else ""
        uniq = "UNIQUE " if r.below(8) == 0 else ""
        where = " WHERE %s IS NOT NULL" % c if r.below(4) == 0 else ""
        return "CREATE %sINDEX%s %s ON %s (%s)%s" % (uniq, conc, self.fresh("idx"), t[0], c, where)

    def insert(self):
        r = self.r
        t = self.table()
        cols = t[1][1:1 + min(len(t[1]) - 1, 5)]
        if not cols:
            return "INSERT INTO %s DEFAULT VALUES" % t[0]
        rows = []
        for _ in range(1 + r.below(4)):
            rows.append("(" + ", ".join(self.literal(ty) for _, ty in cols) + ")")
        conflict = " ON CONFLICT DO NOTHING" if r.below(4) == 0 else ""
        return "INSERT INTO %s (%s) VALUES\n    %s%s" % (
            t[0], ", ".join(c for c, _ in cols), ",\n    ".join(rows), conflict)

    def update(self):
        r = self.r
        t = self.table()
        c, ty = self.column(t)
        if r.below(5) == 0:
            return "UPDATE %s SET %s = %s" % (t[0], c, self.literal(ty))
        return "UPDATE %s SET %s = %s WHERE id BETWEEN %d AND %d" % (
            t[0], c, self.literal(ty), r.below(1000), 1000 + r.below(100000))

    def delete(self):
        r = self.r
        t = self.table()
        if r.below(6) == 0:
            return "DELETE FROM %s" % t[0]
        return "DELETE FROM %s WHERE id IN (SELECT id FROM %s WHERE id < %d ORDER BY id LIMIT 100)" % (
            t[0], t[0], r.below(100000))

    def function(self):
        r = self.r
        t = self.table()
        fn = self.fresh("touch_" + t[0])
        tag = r.pick(("$$", "$fn$", "$body$"))
        body = ("%s\nDECLARE\n    n integer := 0; -- a ';' inside the body\n"
                "BEGIN\n    NEW.id := coalesce(NEW.id, 0);\n"
                "    SELECT count(*) INTO n FROM %s WHERE id = NEW.id;\n"
                "    IF n > 1 THEN\n        RAISE NOTICE 'duplicate id %%; skipping', NEW.id;\n"
                "    END IF;\n    RETURN NEW;\nEND;\n%s" % (tag, t[0], tag))
        fun = "CREATE OR REPLACE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql AS %s" % (fn, body)
        self.pending.append("CREATE TRIGGER %s BEFORE INSERT OR UPDATE ON %s\n"
                            "    FOR EACH ROW EXECUTE FUNCTION %s()" % (self.fresh("trg"), t[0], fn))
        return fun

    def view(self):
        t = self.table()
        cols = ", ".join(c for c, _ in t[1][:4])
        return "CREATE OR REPLACE VIEW %s AS\n    SELECT %s FROM %s WHERE id > 0" % (
            self.fresh("v_" + t[0]), cols, t[0])

    def misc(self):
        r = self.r
        t = self.table()
        k = r.below(8)
        if k == 0:
            return "COMMENT ON TABLE %s IS 'owned by the %s team; see the wiki'" % (t[0], r.pick(WORDS))
        if k == 1:
            return "GRANT SELECT, INSERT, UPDATE ON %s TO app_rw" % t[0]
        if k == 2:
            return "SET lock_timeout = '%ds'" % (1 + r.below(5))
        if k == 3:
            return "ANALYZE %s" % t[0]
        if k == 4:
            return "DROP INDEX IF EXISTS %s" % self.fresh("idx_old")
        if k == 5:
            return "CREATE SEQUENCE IF NOT EXISTS %s START %d" % (self.fresh("seq"), r.below(1000))
        if k == 6:
            return "DROP TABLE IF EXISTS %s" % self.fresh("tmp")
        return "CREATE TYPE %s AS ENUM ('new', 'active', 'closed')" % self.fresh("status")

    def comment(self):
        r = self.r
        k = r.below(5)
        if k == 0:
            return "-- %s: keep %s in sync with the %s service; see ticket #%d\n" % (
                r.pick(WORDS), r.pick(WORDS), r.pick(WORDS), r.below(10000))
        if k == 1:
            return "/* Backfill for %s.\n * Runs in batches; safe to re-run. */\n" % r.pick(WORDS)
        if k == 2:
            return "-- stepwise:allow %s reviewed with the DBA, table is small\n" % r.pick((
                "require-concurrent-index-creation", "setting-not-null", "changing-column-type",
                "adding-foreign-key", "backfill-under-exclusive-lock"))
        return ""

    def statement(self):
        r = self.r
        k = r.below(100)
        if k < 8:
            return self.create_table()
        if k < 38:
            return self.alter_table()
        if k < 50:
            return self.create_index()
        if k < 68:
            return self.insert()
        if k < 78:
            return self.update()
        if k < 84:
            return self.delete()
        if k < 88:
            return self.function()
        if k < 91:
            return self.view()
        return self.misc()

    def script(self, n, out):
        self.pending = []
        out.write("-- Generated by bench/lint/gen.py: %d statements.\n"
                  "-- stepwise:lock-timeout 5s\n\n" % n)
        written = 0
        while written < n:
            if self.pending:
                text = self.pending.pop(0)
            else:
                text = self.statement()
                if self.pending and self.pending[-1].startswith("CREATE TABLE"):
                    # a new table the statement needed: create it first
                    self.pending.append(text)
                    continue
            if self.r.below(4) == 0:
                out.write(self.comment())
            out.write(text + ";\n")
            written += 1
            if self.r.below(10) == 0:
                out.write("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--statements", type=int, default=100000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("output", nargs="?")
    a = ap.parse_args()
    if a.output:
        with open(a.output, "w", encoding="utf-8", newline="\n") as f:
            Gen(a.seed).script(a.statements, f)
    else:
        Gen(a.seed).script(a.statements, sys.stdout)


if __name__ == "__main__":
    main()
