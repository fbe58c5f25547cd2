CREATE TABLE ev (id int PRIMARY KEY, payload json, at timestamp without time zone, name varchar, code character varying(3), small smallint, n serial4, big bigserial, s2 smallserial);
ALTER TABLE ev ALTER COLUMN payload TYPE jsonb USING payload::jsonb;
ALTER TABLE ev ADD COLUMN id2 int PRIMARY KEY;
ALTER TABLE ev ADD COLUMN r float DEFAULT random();
ALTER TABLE ev ADD COLUMN c timestamptz DEFAULT clock_timestamp();
ALTER TABLE ev ADD COLUMN d timestamptz DEFAULT now();
ALTER TABLE ev ADD COLUMN e text DEFAULT 'x';
