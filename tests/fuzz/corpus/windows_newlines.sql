CREATE TABLE w (id int);
ALTER TABLE w ADD COLUMN x int NOT NULL;
-- stepwise:allow adding-required-field empty table
ALTER TABLE w ADD COLUMN y int NOT NULL;
