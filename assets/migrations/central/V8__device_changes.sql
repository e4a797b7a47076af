-- Every pusat keeps the devices it checked lately in memory (auth::DeviceCache). A change
-- to a device other than its last_seen (revoked, renewed, expiry, key, role, office) is
-- announced on 'loket_devices' at commit, whoever wrote it (pusat, the CLI, plain SQL),
-- and every pusat forgets that device at once.
CREATE FUNCTION loket_device_changed() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('loket_devices', OLD.id::text);
        RETURN OLD;
    END IF;
    IF (to_jsonb(OLD) - 'last_seen') IS DISTINCT FROM (to_jsonb(NEW) - 'last_seen') THEN
        PERFORM pg_notify('loket_devices', NEW.id::text);
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER device_changed AFTER UPDATE OR DELETE ON devices
    FOR EACH ROW EXECUTE FUNCTION loket_device_changed();
