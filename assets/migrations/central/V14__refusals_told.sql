-- A counter is told which of its own events pusat refused (issue 31): each push answers the
-- refusals among the sequence numbers it carried, read by device and sequence.
CREATE INDEX refused_by_device ON refused_events (device, seq);
