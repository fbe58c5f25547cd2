-- stepwise:allow renaming-column the application reads both names since release 42
ALTER TABLE orders RENAME COLUMN note TO remark;
