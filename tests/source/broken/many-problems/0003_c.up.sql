xÿ
