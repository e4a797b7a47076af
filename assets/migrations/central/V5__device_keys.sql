-- A device's credential is bound to a key the kiosk holds: the Ed25519 public key it sent
-- at enrollment (base64url). Devices enrolled before keys existed have none and are not
-- asked for signatures until they enroll again.
ALTER TABLE devices ADD COLUMN public_key TEXT;

-- Tokens a renewal retired. One presented again after a grace period was copied: the
-- device is revoked (refresh-token reuse detection).
CREATE TABLE retired_tokens (
    token_hash  TEXT PRIMARY KEY,
    device      UUID NOT NULL REFERENCES devices (id),
    retired_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
