CREATE TABLE café (naïve text);
INSERT INTO café VALUES ('ÿþ; broken');
SELECT 1;
