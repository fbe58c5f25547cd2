-- Every kind of object `stepwise schema` shows on SQLite (issue 6 §1),
-- for the golden snapshot tests/schema/every_kind_sqlite.schema. The
-- layout is uneven on purpose: the snapshot's SQL has canonical spacing.
CREATE TABLE customers (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    email   TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name    TEXT    DEFAULT 'it''s  me',   -- two spaces inside the literal stay
    "Mixed Name" TEXT,
    created TEXT NOT NULL DEFAULT (datetime('now'))
);

CREATE TABLE orders(
  id INTEGER NOT NULL,
  customer_id INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  qty INTEGER NOT NULL DEFAULT 1 CHECK (qty > 0),
  price REAL,
  total REAL GENERATED ALWAYS AS (qty * price) VIRTUAL,
  stored_total REAL GENERATED ALWAYS AS (qty * price) STORED,
  PRIMARY KEY (id, customer_id)
) WITHOUT ROWID;

CREATE TABLE [odd table] (`a b` INT, c /* a comment */ TEXT);

CREATE INDEX orders_customer_idx ON orders (customer_id DESC, qty);
CREATE UNIQUE INDEX customers_name_idx ON customers (name COLLATE NOCASE)
    WHERE name IS NOT NULL;
CREATE INDEX customers_lower_email ON customers (lower(email));

CREATE VIEW big_orders AS
    SELECT o.id, c.email
      FROM orders o JOIN customers c ON c.id = o.customer_id
     WHERE o.qty > 10;

CREATE TRIGGER orders_touch AFTER INSERT ON orders
BEGIN
    UPDATE customers SET name = coalesce(name, 'someone') WHERE id = NEW.customer_id;
END;
