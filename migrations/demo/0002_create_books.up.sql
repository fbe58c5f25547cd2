CREATE TABLE books (
    id          INTEGER PRIMARY KEY,
    author_id   INTEGER NOT NULL REFERENCES authors (id),
    title       TEXT NOT NULL,
    isbn        TEXT UNIQUE,
    price_cents INTEGER NOT NULL CHECK (price_cents >= 0)
);

CREATE INDEX books_author_id ON books (author_id);
