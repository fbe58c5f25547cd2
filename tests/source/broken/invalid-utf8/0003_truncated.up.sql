SELECT 1; -- â‚
