;;;;;;
;  ;	;
-- x
;;;CREATE TABLE x (id int);;;
;
