-- Safeguard schema 7 (PostgreSQL): notifications double as the outbox for email.

ALTER TABLE notifications ADD COLUMN emailed_at TIMESTAMPTZ;
ALTER TABLE notifications ADD COLUMN email_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE notifications ADD COLUMN email_error TEXT NOT NULL DEFAULT '';
CREATE INDEX notifications_outbox ON notifications (emailed_at, email_attempts);
