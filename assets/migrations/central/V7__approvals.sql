-- A supervisor's answers, from the board, to requests for approval that counters sent
-- there. One answer per request; the counter holding the case turns an approval into the
-- action it asked for (with the supervisor named), a return into the note it shows.
CREATE TABLE approval_answers (
    request     UUID PRIMARY KEY,
    case_id     UUID NOT NULL REFERENCES cases (id),
    office      TEXT NOT NULL REFERENCES offices (code),
    event       UUID NOT NULL,
    device      UUID NOT NULL REFERENCES devices (id),
    supervisor  TEXT NOT NULL,
    granted     BOOLEAN NOT NULL,
    body        JSONB NOT NULL,
    at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
