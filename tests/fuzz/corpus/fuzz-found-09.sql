textSELECT 'a\'SECT 'b'; SELECT E'c\''; SELECT 'd';
