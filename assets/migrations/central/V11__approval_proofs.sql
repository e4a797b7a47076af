-- A supervisor's approval given by PIN at a counter is proven: pusat keeps each officer's
-- approval key (Argon2id of the PIN with the salt, made when the PIN is set) and sends
-- counters the salt only; the counter sends the proof with the event.
ALTER TABLE officers ADD COLUMN approval_salt TEXT;
ALTER TABLE officers ADD COLUMN approval_key TEXT;
ALTER TABLE events ADD COLUMN proof TEXT;

-- Approvals pusat could not verify (no proof: a counter from before proofs, or a supervisor
-- whose PIN was set before them): applied, and listed for a person by `pusat problems`.
CREATE TABLE unverified_approvals (
    event       UUID PRIMARY KEY,
    office      TEXT NOT NULL REFERENCES offices (code),
    device      UUID NOT NULL,
    case_id     UUID NOT NULL,
    supervisor  TEXT NOT NULL,
    at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
