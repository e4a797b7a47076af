-- The office's queue. A ticket is a fold of its `ticket.*` events, like a case; its number
-- is unique in the office for the day (each terminal numbers from its own block, so this
-- never fires for an honest counter).
CREATE TABLE tickets (
    id          UUID PRIMARY KEY,
    office      TEXT NOT NULL REFERENCES offices (code),
    day         DATE NOT NULL,
    line        TEXT NOT NULL,
    number      INTEGER NOT NULL,
    state       TEXT NOT NULL,
    counter     INTEGER,
    issued_by   UUID NOT NULL REFERENCES devices (id),
    body        JSONB NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (office, day, line, number)
);
CREATE INDEX tickets_by_day ON tickets (office, day, state);

-- Calls that lost to another counter's call of the same ticket (and other ticket changes
-- that came too late): not an attack, the normal end of a race, kept for the board.
CREATE TABLE ticket_conflicts (
    event       UUID PRIMARY KEY,
    ticket      UUID NOT NULL,
    office      TEXT NOT NULL,
    device      UUID NOT NULL REFERENCES devices (id),
    counter     INTEGER NOT NULL,
    reason      TEXT NOT NULL,
    at          TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- A device is a counter, or a public display that may only read the office's calls.
ALTER TABLE enroll_codes ADD COLUMN role TEXT NOT NULL DEFAULT 'counter'
    CHECK (role IN ('counter', 'display'));
ALTER TABLE devices ADD COLUMN role TEXT NOT NULL DEFAULT 'counter'
    CHECK (role IN ('counter', 'display'));
