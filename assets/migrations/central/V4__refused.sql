-- Events pusat stored but refused to apply: a counter wrote what it may not (another
-- office's booking or case, a case it does not hold, an officer not on the roster). The
-- event itself stays in `events` (the device's sequence stays gapless, nothing is lost);
-- this row says why it was not applied, for a person to look at (`pusat problems`).
CREATE TABLE refused_events (
    event       UUID PRIMARY KEY REFERENCES events (id),
    device      UUID NOT NULL REFERENCES devices (id),
    office      TEXT NOT NULL,
    seq         BIGINT NOT NULL,
    kind        TEXT NOT NULL,
    reason      TEXT NOT NULL,
    at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX refused_by_office ON refused_events (office, at);
