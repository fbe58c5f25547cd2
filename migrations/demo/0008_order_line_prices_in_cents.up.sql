-- A risky type change: unit prices from REAL dollars to INTEGER cents,
-- rounded (8.99 becomes 899). SQLite cannot change a column's type in
-- place, so the table is rebuilt: the new shape is created, the rows are
-- copied, the old table is dropped and the new one takes its name. lint
-- flags the DROP TABLE: once this commits, the old values are gone.
CREATE TABLE order_lines_new (
    order_id         INTEGER NOT NULL REFERENCES orders (id),
    book_id          INTEGER NOT NULL REFERENCES books (id),
    quantity         INTEGER NOT NULL CHECK (quantity > 0),
    unit_price_cents INTEGER NOT NULL CHECK (unit_price_cents >= 0),
    PRIMARY KEY (order_id, book_id)
);

INSERT INTO order_lines_new (order_id, book_id, quantity, unit_price_cents)
SELECT order_id, book_id, quantity, CAST(round(unit_price * 100) AS INTEGER)
FROM order_lines;

DROP TABLE order_lines;

ALTER TABLE order_lines_new RENAME TO order_lines;
