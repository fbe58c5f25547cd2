-- stepwise:lock-timeout 3s
CREATE TABLE keyed (id int, code smallint, name varchar(40), PRIMARY KEY (id, code), FOREIGN KEY (code) REFERENCES codes (id));
CREATE TABLE orders (id int PRIMARY KEY, customer int, CONSTRAINT fk_c FOREIGN KEY (customer) REFERENCES customers (id) ON DELETE SET NULL);
SET lock_timeout = 1.5;
SET lock_timeout = '0';
SET lock_timeout = 0;
SET lock_timeout TO DEFAULT;
SET LOCAL lock_timeout = '1s';
ALTER TABLE orders ALTER COLUMN customer TYPE bigint;
DELETE FROM orders WHERE id < 10;
ALTER TABLE customers RENAME TO clients;
UPDATE clients SET name = upper(name) WHERE id = 1;
ALTER TABLE clients ADD COLUMN seen timestamp DEFAULT now() NOT NULL;
ALTER TYPE mood ADD VALUE 'new' BEFORE 'sad';
ALTER TYPE mood OWNER TO app;
ALTER DOMAIN positive ADD CONSTRAINT p4 NOT NULL;
