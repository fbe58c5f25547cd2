-- A rename that lint flags: any code still reading customers.full_name
-- fails as soon as this commits.
ALTER TABLE customers RENAME COLUMN full_name TO display_name;
