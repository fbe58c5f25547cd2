CREATE TABLE ok1 (id int);
/* this comment never ends
CREATE TABLE ok2 (id int);
