-- Sync with pusat. The pull cursor moves in the same transaction as the changes it covers.
CREATE TABLE sync_state (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    cursor        INTEGER NOT NULL DEFAULT 0,
    last_success  TEXT
);
INSERT INTO sync_state (id) VALUES (1);

-- What the office pushes to its counters (e.g. the booking token key), as JSON.
ALTER TABLE offices ADD COLUMN config TEXT NOT NULL DEFAULT '{}';

-- A booking cancelled by the booking system stays (cases may point at it) but leaves the
-- queue.
ALTER TABLE bookings ADD COLUMN cancelled INTEGER NOT NULL DEFAULT 0;

-- Other counters' cases on this office's bookings, as the feed reports them.
CREATE TABLE remote_cases (
    id         TEXT PRIMARY KEY,
    booking    TEXT NOT NULL,
    applicant  INTEGER NOT NULL,
    counter    INTEGER NOT NULL,
    status     TEXT NOT NULL,
    lost       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX remote_cases_by_booking ON remote_cases (booking, applicant);

-- This counter's cases that lost their claim: another counter's check-in reached pusat
-- first. The case and its history stay; the winner serves the applicant.
CREATE TABLE lost_claims (
    case_id         TEXT PRIMARY KEY REFERENCES cases (id),
    winner_case     TEXT NOT NULL,
    winner_counter  INTEGER NOT NULL
);
