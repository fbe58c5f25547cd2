-- The bookshop demo: authors come first, books refer to them.
CREATE TABLE authors (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    born       INTEGER,
    created_at TEXT NOT NULL DEFAULT (datetime('now'))
);
