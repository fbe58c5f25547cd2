-- Step 2 of 2: the existing rows are checked under SHARE UPDATE EXCLUSIVE
-- on orders, while the application goes on reading and writing.
ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_id_fkey;
