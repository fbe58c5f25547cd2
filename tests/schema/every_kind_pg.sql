-- Every kind of object `stepwise schema` shows on PostgreSQL (issue 6 §1),
-- for the golden snapshot tests/schema/every_kind_pg.schema. Run in a
-- fresh database of a throwaway cluster; the roles (roles_pg.sql) are
-- cluster-wide and made only when missing, so it runs in several databases.
\ir roles_pg.sql

-- Extensions: the extension shows, its objects do not.
CREATE SCHEMA ext;
CREATE EXTENSION citext SCHEMA ext;

CREATE SCHEMA shop AUTHORIZATION sw_owner;
COMMENT ON SCHEMA shop IS 'The shop''s objects';
GRANT USAGE ON SCHEMA shop TO sw_reader;

-- Types: an enum (labels in their order, one added before another), a
-- composite, a domain with constraints, a range.
CREATE TYPE shop.status AS ENUM ('new', 'paid', 'shipped');
ALTER TYPE shop.status ADD VALUE 'packed' BEFORE 'shipped';
COMMENT ON TYPE shop.status IS 'Order status';
CREATE TYPE shop.address AS (street text, city text COLLATE "C", zip integer);
CREATE DOMAIN shop.positive AS numeric(12,2) DEFAULT 1 NOT NULL
    CONSTRAINT positive_check CHECK (VALUE > 0)
    CONSTRAINT below_million CHECK (VALUE < 1000000);
CREATE TYPE shop.price_range AS RANGE (subtype = numeric);

-- Sequences: one of its own, one owned by a column.
CREATE SEQUENCE shop.invoice_no AS integer START 1000 INCREMENT 5 MINVALUE 1000
    MAXVALUE 999999 CACHE 10 CYCLE;
COMMENT ON SEQUENCE shop.invoice_no IS 'Invoice numbers';

-- Tables: identity, serial, generated, collation, defaults, a dropped
-- column, every kind of constraint, one NOT VALID.
CREATE TABLE shop.customers (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    junk integer,
    email ext.citext NOT NULL UNIQUE,
    name text COLLATE "C" NOT NULL DEFAULT '',
    address shop.address,
    created_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE shop.customers DROP COLUMN junk;
ALTER TABLE shop.customers OWNER TO sw_owner;
COMMENT ON TABLE shop.customers IS 'People who buy';
COMMENT ON COLUMN shop.customers.email IS 'Where receipts go';
GRANT SELECT, INSERT ON shop.customers TO sw_reader;
GRANT SELECT (email) ON shop.customers TO PUBLIC;

CREATE TABLE shop.orders (
    id serial PRIMARY KEY,
    customer_id bigint NOT NULL,
    status shop.status NOT NULL DEFAULT 'new',
    amount shop.positive,
    qty integer NOT NULL DEFAULT 1,
    total numeric GENERATED ALWAYS AS (qty * 2.5) STORED,
    note varchar(200),
    CONSTRAINT orders_qty_check CHECK (qty > 0),
    CONSTRAINT orders_note_key UNIQUE (note) DEFERRABLE INITIALLY DEFERRED
);
ALTER TABLE shop.orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id)
    REFERENCES shop.customers (id) ON DELETE CASCADE NOT VALID;
ALTER TABLE shop.orders ADD CONSTRAINT orders_small CHECK (qty < 1000) NOT VALID;
COMMENT ON CONSTRAINT orders_qty_check ON shop.orders IS 'At least one';

-- Indexes: plain, partial, expression, one left invalid below.
CREATE INDEX orders_customer_idx ON shop.orders (customer_id);
CREATE INDEX orders_open_idx ON shop.orders (id) WHERE status <> 'shipped';
CREATE UNIQUE INDEX customers_lower_name_idx ON shop.customers (lower(name));
COMMENT ON INDEX shop.orders_customer_idx IS 'For the customer page';

-- Partitions: a range-partitioned table and two partitions.
CREATE TABLE shop.events (
    at date NOT NULL,
    kind text NOT NULL,
    payload jsonb
) PARTITION BY RANGE (at);
CREATE TABLE shop.events_2024 PARTITION OF shop.events
    FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE shop.events_2025 PARTITION OF shop.events
    FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE INDEX events_kind_idx ON shop.events (kind);

-- Row-level security: enabled and forced, two policies.
ALTER TABLE shop.orders ENABLE ROW LEVEL SECURITY;
ALTER TABLE shop.orders FORCE ROW LEVEL SECURITY;
CREATE POLICY orders_reader ON shop.orders FOR SELECT TO sw_reader USING (status <> 'new');
CREATE POLICY orders_all ON shop.orders AS RESTRICTIVE USING (true) WITH CHECK (qty < 100);
COMMENT ON POLICY orders_reader ON shop.orders IS 'Readers see paid orders';

-- Views and a materialized view.
CREATE VIEW shop.open_orders AS
    SELECT o.id, o.status, c.email
      FROM shop.orders o JOIN shop.customers c ON c.id = o.customer_id
     WHERE o.status <> 'shipped';
COMMENT ON VIEW shop.open_orders IS 'Not yet shipped';
COMMENT ON COLUMN shop.open_orders.email IS 'The customer''s email';
GRANT SELECT ON shop.open_orders TO sw_reader;
CREATE MATERIALIZED VIEW shop.order_totals AS
    SELECT customer_id, sum(total) AS total FROM shop.orders GROUP BY customer_id
    WITH NO DATA;
CREATE INDEX order_totals_customer_idx ON shop.order_totals (customer_id);

-- Functions, a procedure, an aggregate, triggers.
CREATE FUNCTION shop.touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.note := coalesce(NEW.note, 'touched');
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION shop.touch() IS 'Fills the note';
CREATE FUNCTION shop.add(a integer, b integer DEFAULT 1) RETURNS integer
    LANGUAGE sql IMMUTABLE AS 'SELECT a + b';
REVOKE EXECUTE ON FUNCTION shop.add(integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION shop.add(integer, integer) TO sw_reader;
CREATE PROCEDURE shop.archive(before date) LANGUAGE sql AS $$
    DELETE FROM shop.events WHERE at < before
$$;
CREATE AGGREGATE shop.total_of(integer) (sfunc = shop.add, stype = integer, initcond = '0');
CREATE TRIGGER orders_touch BEFORE INSERT OR UPDATE ON shop.orders
    FOR EACH ROW EXECUTE FUNCTION shop.touch();
CREATE TRIGGER orders_audit AFTER DELETE ON shop.orders
    FOR EACH STATEMENT EXECUTE FUNCTION shop.touch();
ALTER TABLE shop.orders DISABLE TRIGGER orders_audit;
COMMENT ON TRIGGER orders_touch ON shop.orders IS 'Keeps the note filled';

-- Inheritance outside partitioning: the child shows its parent, and the
-- constraint it inherits is marked so.
CREATE TABLE shop.base (id integer CONSTRAINT base_id_check CHECK (id > 0));
CREATE TABLE shop.child (extra text) INHERITS (shop.base);

-- A foreign table (the wrapper's own objects belong to its extension).
CREATE EXTENSION file_fdw;
CREATE SERVER files FOREIGN DATA WRAPPER file_fdw;
CREATE FOREIGN TABLE shop.imports (line text) SERVER files
    OPTIONS (filename '/dev/null', format 'text');

-- Objects in public, with a mixed-case name that needs quoting.
CREATE TABLE public."Mixed Case" ("Id" integer, value text);
CREATE UNLOGGED TABLE public.scratch (id integer, ratio float8 DEFAULT 0.3333333333333333,
    magic bytea DEFAULT '\xdeadbeef') WITH (fillfactor = 70);

-- An index left invalid: a unique index built concurrently over
-- duplicates fails and stays behind, marked invalid.
INSERT INTO public.scratch VALUES (1), (1);
\set ON_ERROR_STOP 0
CREATE UNIQUE INDEX CONCURRENTLY scratch_id_key ON public.scratch (id);
\set ON_ERROR_STOP 1
