\set ON_ERROR_STOP on
\connect app
CREATE TABLE m (id int);
\i other.sql
