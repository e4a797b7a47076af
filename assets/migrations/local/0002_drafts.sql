-- What an officer has typed into a case step but not yet committed (the field not yet
-- left). Kept so a crash mid-word loses nothing; local only, never synced, cleared when the
-- step's values are committed.
CREATE TABLE drafts (
    case_id     TEXT PRIMARY KEY REFERENCES cases (id),
    step        TEXT NOT NULL,
    body        TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
