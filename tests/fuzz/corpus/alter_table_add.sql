ALTER TABLE books ADD COLUMN published boolean;
ALTER TABLE books ADD COLUMN stock integer NOT NULL;
ALTER TABLE books ADD COLUMN stock2 integer NOT NULL DEFAULT 0;
ALTER TABLE books ADD COLUMN uuid uuid DEFAULT gen_random_uuid();
ALTER TABLE books ADD COLUMN seq bigserial;
ALTER TABLE books ADD COLUMN total numeric GENERATED ALWAYS AS (price * 2) STORED;
ALTER TABLE ONLY public.books ADD COLUMN IF NOT EXISTS note text COLLATE "C";
