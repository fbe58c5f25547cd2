DELETE FROM order_lines WHERE order_id IN (1, 2, 3);
DELETE FROM orders WHERE id IN (1, 2, 3);
DELETE FROM customers WHERE id IN (1, 2, 3);
DELETE FROM books WHERE id IN (1, 2, 3, 4);
DELETE FROM authors WHERE id IN (1, 2, 3);
