CREATE TABLE `weird;name` ([col;1] INTEGER, "c""2" TEXT, 'c3' BLOB);
INSERT INTO [weird;name] VALUES (1, 'a;b', x'00ff');
SELECT * FROM `weird;name` WHERE "c""2" = 'it''s; ok'; -- trailing ; comment
/* block ; comment */ SELECT 1;
CREATE TRIGGER tq AFTER INSERT ON `weird;name` BEGIN SELECT ';'; SELECT "END;"; END;
