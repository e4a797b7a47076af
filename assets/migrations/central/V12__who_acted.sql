-- Who acted is proven (issue 29): each event keeps its officer's proof (made from the PIN
-- they signed in with) and, for an act a supervisor's board answer grants, the request it
-- carries out. A board answer is carried out once: `used_by` names the event that did.
-- The officers' `approval_salt`/`approval_key` are now their proof salt and key, for every
-- event they write, not only approvals.
ALTER TABLE events ADD COLUMN signed TEXT;
ALTER TABLE events ADD COLUMN answers UUID;
ALTER TABLE approval_answers ADD COLUMN used_by UUID;

-- A new PIN makes a new key; events written before it (a counter offline meanwhile) are
-- still proven by the key they were made with, for events timed before the change.
ALTER TABLE officers ADD COLUMN previous_key TEXT;
ALTER TABLE officers ADD COLUMN key_changed_at TIMESTAMPTZ;

-- Which PIN rules an officer's PIN was checked against when it was set: 2 since
-- supervisors need 10 digits. NULL: set before (`pusat doctor` names such supervisors).
ALTER TABLE officers ADD COLUMN pin_rules SMALLINT;
