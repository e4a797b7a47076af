-- A case decided to continue while its photo was still to be taken now waits for it
-- ("menunggu foto") rather than standing as continued: what a replay of its events gives.
UPDATE cases
SET status = 'awaiting_photo',
    state = json_set(state, '$.status.state', 'awaiting_photo')
WHERE status = 'continued' AND json_extract(state, '$.photo') = 'pending';

-- Other counters' cases (remote_cases) take their status from pusat's feed as it changes.
