-- A supervisor's approval given by PIN at this counter is proven to pusat: the officer's
-- approval salt comes with the roster (never the key), and the proof of each approval
-- travels with its outbox event.
ALTER TABLE officers ADD COLUMN approval_salt TEXT;
CREATE TABLE approval_proofs (
    seq   INTEGER PRIMARY KEY,
    proof TEXT NOT NULL
);
