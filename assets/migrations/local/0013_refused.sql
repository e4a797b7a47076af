-- Events of this counter that pusat refused, as each push answered (issue 31): the officer
-- is told what and why, and the status line counts those nobody has looked at yet.
CREATE TABLE refused (
    seq     INTEGER PRIMARY KEY,
    kind    TEXT NOT NULL,
    reason  TEXT NOT NULL,
    at      TEXT NOT NULL,
    seen    INTEGER NOT NULL DEFAULT 0
);
