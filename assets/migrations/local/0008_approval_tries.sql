-- Wrong PINs typed in a supervisor's approval dialog, per asking officer and supervisor:
-- they lock that officer's approvals by that supervisor for a while, never the
-- supervisor's own sign-in (an officer mistyping must not lock the supervisor out).
CREATE TABLE approval_tries (
    asker        TEXT NOT NULL,
    approver     TEXT NOT NULL,
    failed       INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT,
    PRIMARY KEY (asker, approver)
);
