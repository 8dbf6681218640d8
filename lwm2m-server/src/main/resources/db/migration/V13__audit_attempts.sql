-- auth room: sign-ins refused while locked are counted per address and minute into one row instead of a row each
-- (a client retrying a locked account grew the table by about 1.3 GB an hour).
ALTER TABLE audit_log ADD COLUMN attempts INTEGER DEFAULT 1 NOT NULL;
