-- A case decided to continue while its photo was still to be taken now waits for it
-- ("menunggu foto") rather than standing as continued: what a replay of its events gives.
UPDATE cases
SET status = 'awaiting_photo',
    state = jsonb_set(state, '{status,state}', '"awaiting_photo"')
WHERE status = 'continued' AND state->>'photo' = 'pending';
