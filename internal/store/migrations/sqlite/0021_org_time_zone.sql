-- Safeguard schema 21: the time zone an organisation's pages show times in (an IANA name
-- such as America/New_York). Times are stored and exported in UTC; this only changes how
-- the pages read.
ALTER TABLE orgs ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
