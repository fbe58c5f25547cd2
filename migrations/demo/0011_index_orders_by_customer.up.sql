-- "My orders, newest first": one index serves the lookup and the order.
CREATE INDEX orders_customer_placed ON orders (customer_id, placed_at);
