-- Who acted, proven (issue 29): each event carries its officer's proof, made from the PIN
-- they signed in with, and an act a supervisor granted on the board names the request it
-- carries out. Events written before have neither (pusat refuses those that name an
-- officer: the supervisor looks at them in `pusat problems`).
ALTER TABLE outbox ADD COLUMN signed TEXT;
ALTER TABLE outbox ADD COLUMN answers TEXT;
