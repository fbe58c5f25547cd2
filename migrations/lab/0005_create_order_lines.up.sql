-- One line per book of an order. The unit price is in dollars, as shown to
-- the customer: 0013 moves it to whole cents.
CREATE TABLE order_lines (
    order_id   bigint NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    book_id    bigint NOT NULL REFERENCES books (id),
    quantity   integer NOT NULL CHECK (quantity > 0),
    unit_price numeric(8, 2) NOT NULL,
    PRIMARY KEY (order_id, book_id)
);
