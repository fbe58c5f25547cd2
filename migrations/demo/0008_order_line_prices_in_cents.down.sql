-- Back to REAL dollars. The rows are set aside in a scratch table and the
-- table is created again under its own name, as 0005 wrote it (a table
-- renamed into place would keep its name quoted in the schema).
CREATE TABLE order_lines_cents AS
SELECT order_id, book_id, quantity, unit_price_cents FROM order_lines;

DROP TABLE order_lines;

CREATE TABLE order_lines (
    order_id   INTEGER NOT NULL REFERENCES orders (id),
    book_id    INTEGER NOT NULL REFERENCES books (id),
    quantity   INTEGER NOT NULL CHECK (quantity > 0),
    unit_price REAL NOT NULL,
    PRIMARY KEY (order_id, book_id)
);

INSERT INTO order_lines (order_id, book_id, quantity, unit_price)
SELECT order_id, book_id, quantity, unit_price_cents / 100.0
FROM order_lines_cents;

DROP TABLE order_lines_cents;
