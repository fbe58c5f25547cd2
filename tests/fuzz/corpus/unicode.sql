CREATE TABLE "naïve_表" ("列" text, "ü" int);
INSERT INTO "naïve_表" VALUES ('😀 emoji; here', 1);
ALTER TABLE "naïve_表" ADD COLUMN "çolumn" int NOT NULL;
SELECT 'ok' AS "résumé";
