-- Local store of one counter. Every officer action is one transaction that writes the new
-- state (cases) and an outbox event; the audit trail is append-only.

CREATE TABLE device (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    device_id   TEXT NOT NULL,
    office      TEXT NOT NULL,
    counter     INTEGER NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE offices (
    code  TEXT PRIMARY KEY,
    name  TEXT NOT NULL,
    zone  TEXT NOT NULL
);

CREATE TABLE officers (
    username         TEXT PRIMARY KEY,
    nip              TEXT NOT NULL UNIQUE,
    name             TEXT NOT NULL,
    role             TEXT NOT NULL CHECK (role IN ('officer', 'supervisor', 'technician')),
    pin_hash         TEXT NOT NULL,
    failed_attempts  INTEGER NOT NULL DEFAULT 0,
    locked_until     TEXT
);

CREATE TABLE bookings (
    code      TEXT PRIMARY KEY,
    office    TEXT NOT NULL,
    day       TEXT NOT NULL,
    slot      TEXT NOT NULL,
    walk_in   INTEGER NOT NULL DEFAULT 0,
    body      TEXT NOT NULL          -- the whole booking as JSON
);
CREATE INDEX bookings_by_day ON bookings (office, day, slot);

-- Names and NIKs of applicants, for search at the counter.
CREATE TABLE applicants (
    booking  TEXT NOT NULL REFERENCES bookings (code),
    idx      INTEGER NOT NULL,
    name     TEXT NOT NULL,
    nik      TEXT NOT NULL,
    PRIMARY KEY (booking, idx)
);
CREATE INDEX applicants_by_nik ON applicants (nik);

CREATE TABLE cases (
    id          TEXT PRIMARY KEY,
    booking     TEXT NOT NULL REFERENCES bookings (code),
    applicant   INTEGER NOT NULL,
    status      TEXT NOT NULL,
    state       TEXT NOT NULL,       -- the case as JSON, a fold of its events
    updated_at  TEXT NOT NULL,
    UNIQUE (booking, applicant)
);

CREATE TABLE outbox (
    seq          INTEGER PRIMARY KEY,  -- the per-device sequence: gapless, never reused
    id           TEXT NOT NULL UNIQUE, -- UUIDv7
    kind         TEXT NOT NULL,
    case_id      TEXT,
    office       TEXT NOT NULL,
    officer      TEXT NOT NULL,
    device_time  TEXT NOT NULL,        -- RFC 3339 with the device's offset
    payload      TEXT NOT NULL,
    pushed_at    TEXT
);
CREATE INDEX outbox_by_case ON outbox (case_id, seq);
CREATE TRIGGER outbox_no_delete BEFORE DELETE ON outbox
BEGIN SELECT RAISE(ABORT, 'outbox events are never deleted'); END;
CREATE TRIGGER outbox_immutable BEFORE UPDATE OF seq, id, kind, case_id, office, officer, device_time, payload ON outbox
BEGIN SELECT RAISE(ABORT, 'outbox events are immutable'); END;

CREATE TABLE audit (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    at       TEXT NOT NULL,
    officer  TEXT NOT NULL,
    action   TEXT NOT NULL,
    booking  TEXT,
    case_id  TEXT,
    detail   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_by_case ON audit (case_id);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
