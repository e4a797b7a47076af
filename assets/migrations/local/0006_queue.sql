-- The office's queue: this counter's tickets and, as pulled, the other terminals'.
-- `body` is the ticket as a fold of its events (domain::queue::Ticket). `local_seq` is the
-- outbox sequence of this counter's latest change to it: a pulled state does not overwrite
-- a change pusat has not yet been sent.
CREATE TABLE tickets (
    id          TEXT PRIMARY KEY,
    day         TEXT NOT NULL,
    line        TEXT NOT NULL,
    number      INTEGER NOT NULL,
    booking     TEXT,
    state       TEXT NOT NULL,
    counter     INTEGER,
    issued_at   TEXT NOT NULL,
    body        TEXT NOT NULL,
    local_seq   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX tickets_by_day ON tickets (day, line, number);
CREATE INDEX tickets_by_booking ON tickets (booking);

-- Calls of this counter another counter's call beat at pusat: shown to the officer once.
CREATE TABLE lost_calls (
    ticket      TEXT PRIMARY KEY,
    label       TEXT NOT NULL,
    winner      INTEGER,
    seen        INTEGER NOT NULL DEFAULT 0
);
