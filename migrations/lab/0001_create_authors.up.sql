-- The bookshop lab: the demo's story in PostgreSQL idiom, written for a
-- live database that an application keeps busy. Authors come first.
CREATE TABLE authors (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text NOT NULL,
    born       integer,
    created_at timestamptz NOT NULL DEFAULT now()
);
