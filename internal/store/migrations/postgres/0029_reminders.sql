-- Safeguard schema 29 (postgres): reminders and email digests.
--
-- reminders_sent keeps one row per reminder (or digest) a member has been
-- sent, under a key naming what it is about and its period, so that the
-- scheduled job that computes reminders sends each one once however often
-- it runs and on however many replicas.
CREATE TABLE reminders_sent (
	user_id      BIGINT NOT NULL REFERENCES users (id),
	reminder_key TEXT NOT NULL,
	sent_at      TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (user_id, reminder_key)
);

-- digest_prefs is how often a member wants each kind of reminder by email:
-- 'never', 'daily' or 'weekly'. A kind without a row takes its default.
CREATE TABLE digest_prefs (
	user_id   BIGINT NOT NULL REFERENCES users (id),
	kind      TEXT NOT NULL,
	frequency TEXT NOT NULL CHECK (frequency IN ('never', 'daily', 'weekly')),
	PRIMARY KEY (user_id, kind)
);

-- Reminders reach email through digests, never one message each: the
-- outbox skips notifications marked so.
ALTER TABLE notifications ADD COLUMN digest_only BOOLEAN NOT NULL DEFAULT FALSE;
