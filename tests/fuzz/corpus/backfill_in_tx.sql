ALTER TABLE books ADD COLUMN slug text;
UPDATE books SET slug = lower(title);
ALTER TABLE books ALTER COLUMN slug SET NOT NULL;
LOCK TABLE books IN ACCESS EXCLUSIVE MODE;
UPDATE books SET price = 1 WHERE id = 1;
