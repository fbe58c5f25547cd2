CREATE TABLE books (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    author_id   bigint NOT NULL REFERENCES authors (id),
    title       text NOT NULL,
    isbn        text UNIQUE,
    price_cents integer NOT NULL CHECK (price_cents >= 0)
);

-- The table is new and empty: a plain CREATE INDEX costs nothing here.
CREATE INDEX books_author_id ON books (author_id);
