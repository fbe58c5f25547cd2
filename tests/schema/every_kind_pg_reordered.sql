-- The schema of every_kind_pg.sql built another way round: objects in
-- another order, constraints, indexes, triggers, policies, grants and
-- comments added in reverse, enum labels added out of order, a partition
-- attached instead of created, options set by ALTER, owners changed
-- after the grants, and a dropped column in another table. Its snapshot
-- must be byte-identical to that of every_kind_pg.sql.
\ir roles_pg.sql

CREATE TABLE public."Mixed Case" ("Id" integer, value text);
CREATE TABLE public.scratch (id integer, ratio float8 DEFAULT 0.3333333333333333);
ALTER TABLE public.scratch ADD COLUMN magic bytea DEFAULT '\xdeadbeef';
ALTER TABLE public.scratch SET (fillfactor = 70);
ALTER TABLE public.scratch SET UNLOGGED;

CREATE SCHEMA shop;
GRANT USAGE ON SCHEMA shop TO sw_reader;
COMMENT ON SCHEMA shop IS 'The shop''s objects';
ALTER SCHEMA shop OWNER TO sw_owner;
CREATE SCHEMA ext;
CREATE EXTENSION citext SCHEMA ext;

CREATE FUNCTION shop.touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.note := coalesce(NEW.note, 'touched');
    RETURN NEW;
END
$$;
CREATE FUNCTION shop.add(a integer, b integer DEFAULT 1) RETURNS integer
    LANGUAGE sql IMMUTABLE AS 'SELECT a + b';
GRANT EXECUTE ON FUNCTION shop.add(integer, integer) TO sw_reader;
REVOKE EXECUTE ON FUNCTION shop.add(integer, integer) FROM PUBLIC;
CREATE AGGREGATE shop.total_of(integer) (sfunc = shop.add, stype = integer, initcond = '0');
COMMENT ON FUNCTION shop.touch() IS 'Fills the note';

CREATE TYPE shop.price_range AS RANGE (subtype = numeric);
CREATE DOMAIN shop.positive AS numeric(12,2);
ALTER DOMAIN shop.positive ADD CONSTRAINT below_million CHECK (VALUE < 1000000);
ALTER DOMAIN shop.positive ADD CONSTRAINT positive_check CHECK (VALUE > 0);
ALTER DOMAIN shop.positive SET NOT NULL;
ALTER DOMAIN shop.positive SET DEFAULT 1;
CREATE TYPE shop.address AS (street text, city text COLLATE "C", zip integer);
CREATE TYPE shop.status AS ENUM ('new', 'packed');
ALTER TYPE shop.status ADD VALUE 'shipped' AFTER 'packed';
ALTER TYPE shop.status ADD VALUE 'paid' BEFORE 'packed';
COMMENT ON TYPE shop.status IS 'Order status';

CREATE SEQUENCE shop.invoice_no;
COMMENT ON SEQUENCE shop.invoice_no IS 'Invoice numbers';
ALTER SEQUENCE shop.invoice_no AS integer MINVALUE 1000 MAXVALUE 999999 START 1000
    RESTART 1000 INCREMENT 5 CACHE 10 CYCLE;

CREATE TABLE shop.events (
    at date NOT NULL,
    kind text NOT NULL,
    payload jsonb
) PARTITION BY RANGE (at);
CREATE TABLE shop.events_2025 PARTITION OF shop.events
    FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE INDEX events_kind_idx ON shop.events (kind);
CREATE TABLE shop.events_2024 (at date NOT NULL, kind text NOT NULL, payload jsonb);
ALTER TABLE shop.events ATTACH PARTITION shop.events_2024
    FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE PROCEDURE shop.archive(before date) LANGUAGE sql AS $$
    DELETE FROM shop.events WHERE at < before
$$;

CREATE TABLE shop.customers (
    id bigint GENERATED ALWAYS AS IDENTITY,
    email ext.citext NOT NULL,
    name text COLLATE "C" NOT NULL DEFAULT '',
    address shop.address,
    created_at timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT (email) ON shop.customers TO PUBLIC;
GRANT INSERT ON shop.customers TO sw_reader;
GRANT SELECT ON shop.customers TO sw_reader;
COMMENT ON COLUMN shop.customers.email IS 'Where receipts go';
ALTER TABLE shop.customers ADD CONSTRAINT customers_email_key UNIQUE (email);
ALTER TABLE shop.customers ADD CONSTRAINT customers_pkey PRIMARY KEY (id);
ALTER TABLE shop.customers OWNER TO sw_owner;
COMMENT ON TABLE shop.customers IS 'People who buy';

CREATE TABLE shop.orders (
    id serial,
    customer_id bigint NOT NULL,
    gone text,
    status shop.status NOT NULL DEFAULT 'new',
    amount shop.positive,
    qty integer NOT NULL,
    total numeric GENERATED ALWAYS AS (qty * 2.5) STORED,
    note varchar(200)
);
ALTER TABLE shop.orders DROP COLUMN gone;
ALTER TABLE shop.orders ALTER COLUMN qty SET DEFAULT 1;
ALTER TABLE shop.orders ADD CONSTRAINT orders_small CHECK (qty < 1000) NOT VALID;
ALTER TABLE shop.orders ADD CONSTRAINT orders_qty_check CHECK (qty > 0);
COMMENT ON CONSTRAINT orders_qty_check ON shop.orders IS 'At least one';
ALTER TABLE shop.orders ADD CONSTRAINT orders_pkey PRIMARY KEY (id);
ALTER TABLE shop.orders ADD CONSTRAINT orders_note_key UNIQUE (note)
    DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE shop.orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id)
    REFERENCES shop.customers (id) ON DELETE CASCADE NOT VALID;

CREATE POLICY orders_all ON shop.orders AS RESTRICTIVE USING (true) WITH CHECK (qty < 100);
CREATE POLICY orders_reader ON shop.orders FOR SELECT TO sw_reader USING (status <> 'new');
COMMENT ON POLICY orders_reader ON shop.orders IS 'Readers see paid orders';
ALTER TABLE shop.orders FORCE ROW LEVEL SECURITY;
ALTER TABLE shop.orders ENABLE ROW LEVEL SECURITY;

CREATE TRIGGER orders_audit AFTER DELETE ON shop.orders
    FOR EACH STATEMENT EXECUTE FUNCTION shop.touch();
ALTER TABLE shop.orders DISABLE TRIGGER orders_audit;
CREATE TRIGGER orders_touch BEFORE INSERT OR UPDATE ON shop.orders
    FOR EACH ROW EXECUTE FUNCTION shop.touch();
COMMENT ON TRIGGER orders_touch ON shop.orders IS 'Keeps the note filled';

CREATE UNIQUE INDEX customers_lower_name_idx ON shop.customers (lower(name));
CREATE INDEX orders_open_idx ON shop.orders (id) WHERE status <> 'shipped';
CREATE INDEX orders_customer_idx ON shop.orders (customer_id);
COMMENT ON INDEX shop.orders_customer_idx IS 'For the customer page';

CREATE MATERIALIZED VIEW shop.order_totals AS
    SELECT customer_id, sum(total) AS total FROM shop.orders GROUP BY customer_id
    WITH NO DATA;
CREATE INDEX order_totals_customer_idx ON shop.order_totals (customer_id);
CREATE VIEW shop.open_orders AS
    SELECT o.id, o.status, c.email
      FROM shop.orders o JOIN shop.customers c ON c.id = o.customer_id
     WHERE o.status <> 'shipped';
GRANT SELECT ON shop.open_orders TO sw_reader;
COMMENT ON COLUMN shop.open_orders.email IS 'The customer''s email';
COMMENT ON VIEW shop.open_orders IS 'Not yet shipped';

CREATE EXTENSION file_fdw;
CREATE SERVER files FOREIGN DATA WRAPPER file_fdw;
CREATE FOREIGN TABLE shop.imports (line text) SERVER files
    OPTIONS (format 'text', filename '/dev/null');
CREATE TABLE shop.base (id integer);
CREATE TABLE shop.child (extra text) INHERITS (shop.base);
ALTER TABLE shop.base ADD CONSTRAINT base_id_check CHECK (id > 0);

INSERT INTO public.scratch VALUES (1), (1);
\set ON_ERROR_STOP 0
CREATE UNIQUE INDEX CONCURRENTLY scratch_id_key ON public.scratch (id);
\set ON_ERROR_STOP 1
