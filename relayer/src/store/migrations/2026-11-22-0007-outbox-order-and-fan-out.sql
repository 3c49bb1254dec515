-- The outbox in the order it was written, and a fan-out marker the dispatcher can find by index.
-- One ingestion transaction writes many domain events with the same created_at, so created_at alone
-- cannot order them; outbox_position can. The fan-out marker used to be a separate table that every
-- dispatcher poll anti-joined against the whole outbox; a partial index over the events not yet
-- fanned out keeps that poll as cheap with a million events behind it as with none.

ALTER TABLE domain_events ADD COLUMN outbox_position bigserial;
ALTER TABLE domain_events ADD COLUMN fanned_out_at timestamptz;

UPDATE domain_events e SET fanned_out_at = f.fanned_out_at
FROM webhook_fanned_out_events f WHERE f.event_id = e.id;

CREATE INDEX domain_events_to_fan_out ON domain_events (outbox_position) WHERE fanned_out_at IS NULL;

DROP TABLE webhook_fanned_out_events;
