ALTER TABLE books DROP COLUMN published_year;
ALTER TABLE customers DROP COLUMN phone;
