-- pusat: the central store. Everything an office needs is keyed by its code so the schema
-- partitions by office; no extensions, no advisory locks (portable to CockroachDB and
-- YugabyteDB).

CREATE TABLE offices (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    zone        TEXT NOT NULL,
    config      JSONB NOT NULL DEFAULT '{}',
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The office's change feed position. Every transaction that adds to the feed takes this
-- row's lock (UPDATE ... RETURNING) just before it commits, so feed positions of one office
-- commit in order: a reader that saw position n can never later meet a position below n.
CREATE TABLE feeds (
    office  TEXT PRIMARY KEY REFERENCES offices (code),
    last    BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE changes (
    office  TEXT NOT NULL REFERENCES offices (code),
    pos     BIGINT NOT NULL,
    kind    TEXT NOT NULL,
    key     TEXT NOT NULL,
    body    JSONB NOT NULL,
    at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (office, pos)
);

CREATE TABLE officers (
    username    TEXT PRIMARY KEY,
    office      TEXT NOT NULL REFERENCES offices (code),
    nip         TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('officer', 'supervisor', 'technician')),
    pin_hash    TEXT NOT NULL,
    active      BOOLEAN NOT NULL DEFAULT true,
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One-time enrollment codes; only their SHA-256 is kept.
CREATE TABLE enroll_codes (
    code_hash   TEXT PRIMARY KEY,
    office      TEXT NOT NULL REFERENCES offices (code),
    counter     INTEGER NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ,
    device      UUID
);

CREATE TABLE devices (
    id          UUID PRIMARY KEY,
    office      TEXT NOT NULL REFERENCES offices (code),
    counter     INTEGER NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    enrolled_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ,
    last_seen   TIMESTAMPTZ,
    last_seq    BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE bookings (
    code        TEXT PRIMARY KEY,
    office      TEXT NOT NULL REFERENCES offices (code),
    day         DATE NOT NULL,
    body        JSONB NOT NULL,
    cancelled   BOOLEAN NOT NULL DEFAULT false,
    source      TEXT NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX bookings_by_day ON bookings (office, day);

-- Every event exactly once: its UUID is the key, (device, seq) is unique and gapless.
CREATE TABLE events (
    id           UUID PRIMARY KEY,
    device       UUID NOT NULL REFERENCES devices (id),
    seq          BIGINT NOT NULL,
    kind         TEXT NOT NULL,
    case_id      UUID,
    office       TEXT NOT NULL,
    officer      TEXT NOT NULL,
    device_time  TIMESTAMPTZ NOT NULL,
    device_offset INTEGER NOT NULL,
    payload      JSONB NOT NULL,
    received_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (device, seq)
);
CREATE INDEX events_by_case ON events (case_id, device, seq);

-- The case projection: a fold of the case's events. A case that lost its claim on an
-- applicant (another counter's check-in reached the server first) keeps its history and
-- names the winner in lost_to.
CREATE TABLE cases (
    id          UUID PRIMARY KEY,
    office      TEXT NOT NULL,
    booking     TEXT NOT NULL,
    applicant   INTEGER NOT NULL,
    device      UUID NOT NULL REFERENCES devices (id),
    counter     INTEGER NOT NULL,
    status      TEXT NOT NULL,
    state       JSONB NOT NULL,
    lost_to     UUID REFERENCES cases (id),
    problem     TEXT,
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX cases_one_winner ON cases (booking, applicant) WHERE lost_to IS NULL;

-- Photos by SHA-256. An upload in progress keeps its bytes so far; complete once verified.
CREATE TABLE photos (
    sha256      TEXT PRIMARY KEY,
    size        BIGINT NOT NULL,
    data        BYTEA NOT NULL DEFAULT '\x',
    complete    BOOLEAN NOT NULL DEFAULT false,
    device      UUID REFERENCES devices (id),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
