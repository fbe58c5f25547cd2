DROP INDEX orders_customer_placed;
