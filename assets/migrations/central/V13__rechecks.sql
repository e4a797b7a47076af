-- An NTPN (the state's receipt number of one payment) is recorded once per office, whatever
-- case carries it: the same receipt shown for two applicants pays for one.
CREATE TABLE payments (
    office      TEXT NOT NULL,
    ntpn        TEXT NOT NULL,
    case_id     UUID NOT NULL,
    event_id    UUID NOT NULL,
    amount      BIGINT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (office, ntpn)
);

-- The payments cases already hold, the first case (by id, UUIDv7: oldest) keeping each.
INSERT INTO payments (office, ntpn, case_id, event_id, amount)
SELECT DISTINCT ON (c.office, p->>'ntpn') c.office, p->>'ntpn', c.id, c.id, (p->>'amount')::bigint
FROM cases c, jsonb_array_elements(COALESCE(c.state->'payments', '[]'::jsonb)) AS p
WHERE p->>'ntpn' IS NOT NULL
ORDER BY c.office, p->>'ntpn', c.id
ON CONFLICT DO NOTHING;

-- A signed request that changes something is taken once: its nonce is remembered for the
-- signature's lifetime (twice the allowed clock skew), so one taken off the wire and sent
-- again is refused.
CREATE TABLE request_nonces (
    device  UUID NOT NULL,
    nonce   TEXT NOT NULL,
    seen_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (device, nonce)
);
CREATE INDEX request_nonces_age ON request_nonces (seen_at);

-- A renewal answers the token it gave until that token is used (a kiosk whose answer was
-- lost asks again and gets the same one; it opens nothing without the kiosk's key).
ALTER TABLE devices ADD COLUMN next_token TEXT;

-- Photo uploads keep their chunks apart until complete: appending to one BYTEA rewrote the
-- whole photo at every chunk (100 one-byte chunks after 16 MiB wrote 1.85 GB of WAL). The
-- photo is assembled once, when its last chunk arrives.
ALTER TABLE photos ADD COLUMN have BIGINT NOT NULL DEFAULT 0;
UPDATE photos SET have = length(data);
CREATE TABLE photo_chunks (
    sha256 TEXT NOT NULL REFERENCES photos (sha256) ON DELETE CASCADE,
    start  BIGINT NOT NULL,
    data   BYTEA NOT NULL,
    PRIMARY KEY (sha256, start)
);
-- Completed photos per device and day, for the device's quota.
CREATE INDEX photos_device_complete ON photos (device, updated_at) WHERE complete;
