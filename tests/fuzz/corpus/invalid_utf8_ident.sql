ALTER TABLE "Ã(" ADD COLUMN "â‚" int NOT NULL;
CREATE INDEX "ðŸ˜" ON t (x);
-- stepwise:allow À¯ bad reason þ
