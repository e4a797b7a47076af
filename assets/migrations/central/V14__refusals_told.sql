-- A counter is told which of its own events pusat refused (issue 31): each push answers the
-- refusals among the sequence numbers it carried, read by device and sequence.
CREATE INDEX refused_by_device ON refused_events (device, seq);

-- One photo is one applicant's (issue 31): a case recording a photo another case holds is
-- refused, found by the photo's hash.
CREATE INDEX cases_by_photo ON cases ((state->'photo'->'taken'->>'sha256'));
