CREATE TABLE "weird;table" ("semi;colon" int, "quote""d" text, "CamelCase" int);
ALTER TABLE "weird;table" RENAME COLUMN "semi;colon" TO "x;y";
CREATE INDEX "idx;1" ON "weird;table" ("x;y");
ALTER TABLE "Schema"."Table" ADD COLUMN "Col" int NOT NULL;
UPDATE "weird;table" SET "x;y" = 1;
DROP TABLE "weird;table";
