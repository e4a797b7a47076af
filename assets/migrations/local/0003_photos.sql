-- Photos taken at this counter, kept as files under photos/<sha256>.jpg in the data
-- directory. uploaded_at stays NULL until sync has sent the file: the pending uploads.
CREATE TABLE photos (
    sha256       TEXT PRIMARY KEY,
    case_id      TEXT NOT NULL REFERENCES cases (id),
    bytes        INTEGER NOT NULL,
    created_at   TEXT NOT NULL,
    uploaded_at  TEXT
);
