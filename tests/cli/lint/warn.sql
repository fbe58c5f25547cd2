ALTER TABLE customers ADD CONSTRAINT customers_email_check CHECK (email <> '');
