-- New optional columns: existing rows get NULL, nothing is rewritten.
ALTER TABLE customers ADD COLUMN phone TEXT;
ALTER TABLE books ADD COLUMN published_year INTEGER;
