-- Credential renewal: a device asks for a new token before its credential expires. The new
-- token waits beside the old one until the device first uses it, so an answer lost on the
-- way never locks a counter out.
ALTER TABLE devices ADD COLUMN next_token_hash TEXT UNIQUE;
ALTER TABLE devices ADD COLUMN next_expires_at TIMESTAMPTZ;
