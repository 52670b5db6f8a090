-- What a review of crisis handling and anonymous submissions asked for.

-- A person's replies to the group's crisis message (other than a country code): kept with
-- the event and shown to the moderators, never relayed.
CREATE TABLE crisis_replies (
    id           bigserial PRIMARY KEY,
    event_id     bigint NOT NULL REFERENCES crisis_events (id) ON DELETE CASCADE,
    activity_uri text NOT NULL UNIQUE,
    content      text NOT NULL,
    received_at  timestamptz NOT NULL
);

-- A reply is an alert of its own kind; an event has one alert and one escalation, and one
-- alert per reply.
ALTER TABLE crisis_alerts DROP CONSTRAINT crisis_alerts_event_id_kind_key;
ALTER TABLE crisis_alerts DROP CONSTRAINT crisis_alerts_kind_check;
ALTER TABLE crisis_alerts ADD CONSTRAINT crisis_alerts_kind_check
    CHECK (kind IN ('alert', 'escalation', 'reply'));
ALTER TABLE crisis_alerts ADD COLUMN reply_id bigint REFERENCES crisis_replies (id)
    ON DELETE CASCADE;
CREATE UNIQUE INDEX crisis_alerts_once ON crisis_alerts (event_id, kind, coalesce(reply_id, 0));

-- Why no message could be sent (the author's server unknown and unreachable).
ALTER TABLE crisis_events ADD COLUMN message_error text;

-- The group's pinned post of crisis lines: a new one replaces it.
ALTER TABLE crisis_group_settings ADD COLUMN pinned_note text;

-- Why an anonymous submission was held beyond its pre-moderation (the crisis detector, a
-- policy), shown to the group's moderators; and withdrawn by its author.
ALTER TABLE anonymous_submissions ADD COLUMN mark text NOT NULL DEFAULT '';
ALTER TABLE anonymous_submissions DROP CONSTRAINT anonymous_submissions_state_check;
ALTER TABLE anonymous_submissions ADD CONSTRAINT anonymous_submissions_state_check
    CHECK (state IN ('pending', 'approved', 'declined', 'withdrawn'));
