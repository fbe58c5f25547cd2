CREATE TABLE ok1 (id int);
INSERT INTO ok1 VALUES ('never closed);
CREATE TABLE ok2 (id int);
