-- Retention (UU PDP 27/2022, data minimisation): a case closed and at pusat for longer than
-- the office keeps them is purged from the kiosk. Its events stay in the outbox (the
-- sequence stays gapless, the audit trail whole) but their payloads, which carry names and
-- NIKs, are replaced by a tombstone: the one change an outbox row may ever take, and only
-- once pusat has the event.
DROP TRIGGER outbox_immutable;
CREATE TRIGGER outbox_immutable BEFORE UPDATE OF seq, id, kind, case_id, office, officer, device_time, payload ON outbox
WHEN NOT (
    OLD.pushed_at IS NOT NULL
    AND NEW.payload = '{"purged":true}'
    AND NEW.seq = OLD.seq AND NEW.id = OLD.id AND NEW.kind = OLD.kind
    AND NEW.case_id IS OLD.case_id AND NEW.office = OLD.office
    AND NEW.officer = OLD.officer AND NEW.device_time = OLD.device_time
)
BEGIN SELECT RAISE(ABORT, 'outbox events are immutable'); END;

-- The day the last purge ran: sync purges once a day, after a round that reached pusat.
ALTER TABLE sync_state ADD COLUMN purged_on TEXT;
