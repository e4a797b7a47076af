-- Requests for approval other counters sent to the board (JSON `ApprovalAsk`, NULL when
-- none waits), and the board's answers to this counter's requests, applied once.
ALTER TABLE remote_cases ADD COLUMN awaiting TEXT;
CREATE TABLE approval_answers (
    request     TEXT PRIMARY KEY,
    case_id     TEXT NOT NULL,
    body        TEXT NOT NULL,
    applied_at  TEXT
);
