CREATE TABLE fresh (id int, name varchar(50), at timestamp);
CREATE INDEX fresh_name_idx ON fresh (name);
ALTER TABLE fresh ADD COLUMN n int NOT NULL;
ALTER TABLE fresh ALTER COLUMN name TYPE varchar(10);
ALTER TABLE fresh ADD CONSTRAINT fk FOREIGN KEY (id) REFERENCES books (id);
ALTER TABLE fresh ADD CONSTRAINT u UNIQUE (name);
ALTER TABLE public.fresh ALTER COLUMN at SET NOT NULL;
DROP TABLE fresh;
