-- A foreign key on a busy table, step 1 of 2: NOT VALID checks new rows
-- only. It still takes SHARE ROW EXCLUSIVE on orders and customers for a
-- moment, so it waits for open transactions on either.
ALTER TABLE orders
    ADD CONSTRAINT orders_customer_id_fkey FOREIGN KEY (customer_id)
    REFERENCES customers (id) NOT VALID;
