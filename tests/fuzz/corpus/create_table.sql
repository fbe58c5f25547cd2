CREATE TABLE authors (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL,
    email varchar(255) UNIQUE,
    born date,
    created_at timestamp DEFAULT now(),
    profile json
);
CREATE TABLE IF NOT EXISTS books (
    id serial PRIMARY KEY,
    author_id int REFERENCES authors (id) ON DELETE CASCADE,
    title text NOT NULL CHECK (title <> ''),
    price numeric(10, 2) DEFAULT 0,
    tags text[] DEFAULT '{}',
    isbn char(13),
    UNIQUE (author_id, title)
);
