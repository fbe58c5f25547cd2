UPDATE orders SET total_cents = NULL WHERE total_cents IS NOT NULL;
