-- A few rows to work on, so that the backfill of 0010 and the rebuild of
-- 0008 have something to move. Ids are given so that the down script can
-- remove exactly these rows.
INSERT INTO authors (id, name, born) VALUES
    (1, 'Jane Austen', 1775),
    (2, 'Charles Dickens', 1812),
    (3, 'Mary Shelley', 1797);

INSERT INTO books (id, author_id, title, isbn, price_cents) VALUES
    (1, 1, 'Pride and Prejudice', '978-0-00-000001-1', 899),
    (2, 1, 'Emma', '978-0-00-000002-8', 799),
    (3, 2, 'Great Expectations', '978-0-00-000003-5', 1099),
    (4, 3, 'Frankenstein', '978-0-00-000004-2', 650);

INSERT INTO customers (id, email, full_name) VALUES
    (1, 'ada@example.com', 'Ada Byron'),
    (2, 'tom@example.com', 'Thomas Gradgrind'),
    (3, 'lizzy@example.com', 'Elizabeth Bennet');

INSERT INTO orders (id, customer_id, placed_at, status) VALUES
    (1, 1, '2024-03-01 10:15:00', 'shipped'),
    (2, 3, '2024-03-02 16:40:00', 'paid'),
    (3, 2, '2024-03-03 09:05:00', 'cancelled');

-- Order 3 has no lines: it was cancelled before anything was added.
INSERT INTO order_lines (order_id, book_id, quantity, unit_price) VALUES
    (1, 1, 2, 8.99),
    (1, 4, 1, 6.5),
    (2, 3, 1, 10.99),
    (2, 2, 3, 7.99);
