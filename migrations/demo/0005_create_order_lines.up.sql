-- One line per book of an order. The unit price is kept as it was shown
-- to the customer, in dollars as a REAL: 0008 moves it to whole cents.
CREATE TABLE order_lines (
    order_id   INTEGER NOT NULL REFERENCES orders (id),
    book_id    INTEGER NOT NULL REFERENCES books (id),
    quantity   INTEGER NOT NULL CHECK (quantity > 0),
    unit_price REAL NOT NULL,
    PRIMARY KEY (order_id, book_id)
);
