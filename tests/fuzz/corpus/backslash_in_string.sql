SELECT 'a\'; SELECT 'b'; SELECT E'c\''; SELECT 'd';
