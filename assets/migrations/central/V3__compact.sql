-- Feed compaction (`pusat feed compact`, and hourly while serving) finds the earlier
-- versions of each office's entity through this index.
CREATE INDEX changes_entity ON changes (office, kind, key, pos);
