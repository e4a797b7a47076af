-- Wrong PINs typed at any counter of an office, as the counters push them
-- (officer.pin_failed). A counter locks an officer after 5 wrong PINs in a row on its own;
-- pusat counts across counters, so guessing at three counters in turn is stopped too.
CREATE TABLE pin_failures (
    id        BIGSERIAL PRIMARY KEY,
    office    TEXT NOT NULL REFERENCES offices (code),
    username  TEXT NOT NULL,
    device    UUID NOT NULL,
    context   TEXT NOT NULL CHECK (context IN ('sign_in', 'approval')),
    at        TIMESTAMPTZ NOT NULL,
    received  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX pin_failures_by_officer ON pin_failures (username, received);

-- Set by pusat when too many wrong PINs reached it; sent to every counter of the office
-- with the roster. A new PIN (officer add) clears it.
ALTER TABLE officers ADD COLUMN locked_until TIMESTAMPTZ;
ALTER TABLE officers ADD COLUMN locked_at TIMESTAMPTZ;
