-- The roles of the schema fixtures: cluster-wide, so made only when
-- missing (the fixtures run in several databases of one cluster).
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sw_owner') THEN
        CREATE ROLE sw_owner;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sw_reader') THEN
        CREATE ROLE sw_reader;
    END IF;
END
$$;
