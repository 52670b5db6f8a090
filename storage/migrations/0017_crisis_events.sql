-- Crisis events: every post the crisis detector marked, what it matched, what was sent to
-- whom, who acknowledged it and when. Alerts are rows too, so that a live stream can resume
-- where it stopped (SSE Last-Event-ID) and a webhook is retried after a crash.
CREATE TABLE crisis_events (
    id              bigserial PRIMARY KEY,
    activity_uri    text NOT NULL UNIQUE,      -- a replayed post is one event
    actor_uri       text NOT NULL,
    object_uri      text,
    group_id        bigint REFERENCES local_actors (id) ON DELETE SET NULL,
    level           text NOT NULL CHECK (level IN ('none', 'concern', 'urgent')),
    method          boolean NOT NULL DEFAULT false,
    evidence        text[] NOT NULL DEFAULT '{}',
    lang            text NOT NULL DEFAULT '',
    review_item_id  bigint REFERENCES review_items (id) ON DELETE SET NULL,
    arrived_at      timestamptz NOT NULL,      -- when our inbox stored the post
    detected_at     timestamptz NOT NULL,
    -- The resources message: its note's id (a reply to it may carry a country code), the
    -- language and country of the lines it gave, and when it was queued for delivery.
    message_id      text UNIQUE,
    message_lang    text,
    message_country text,
    message_at      timestamptz,
    alerted_at      timestamptz,
    escalated_at    timestamptz,
    acknowledged_by text,
    acknowledged_at timestamptz
);
CREATE INDEX crisis_events_open ON crisis_events (alerted_at)
    WHERE acknowledged_at IS NULL AND escalated_at IS NULL;

-- What was sent to whom, message by message (the first resources message and any reply to a
-- country code).
CREATE TABLE crisis_messages (
    id          bigserial PRIMARY KEY,
    event_id    bigint NOT NULL REFERENCES crisis_events (id) ON DELETE CASCADE,
    note_id     text NOT NULL UNIQUE,
    recipient   text NOT NULL,
    lang        text NOT NULL,
    country     text NOT NULL DEFAULT '',
    lines       text[] NOT NULL DEFAULT '{}',
    in_reply_to text,                          -- the person's message that asked for it
    sent_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (event_id, in_reply_to)
);

-- Alerts to moderators: the first (to those on duty, or everyone when nobody is) and the
-- escalation (to every moderator and admin). The webhook columns make it a durable queue.
CREATE TABLE crisis_alerts (
    id              bigserial PRIMARY KEY,
    event_id        bigint NOT NULL REFERENCES crisis_events (id) ON DELETE CASCADE,
    kind            text NOT NULL CHECK (kind IN ('alert', 'escalation')),
    audience        text NOT NULL CHECK (audience IN ('on_duty', 'all')),
    created_at      timestamptz NOT NULL,
    webhook_state   text NOT NULL DEFAULT 'none'
                    CHECK (webhook_state IN ('none', 'pending', 'sent', 'failed')),
    webhook_attempts integer NOT NULL DEFAULT 0,
    webhook_next_at timestamptz,
    webhook_lease_until timestamptz,
    webhook_error   text,
    UNIQUE (event_id, kind)
);
CREATE INDEX crisis_alerts_webhook ON crisis_alerts (webhook_next_at)
    WHERE webhook_state = 'pending';

-- Staff on duty for crisis alerts.
CREATE TABLE crisis_duty (
    actor_id  bigint PRIMARY KEY REFERENCES local_actors (id) ON DELETE CASCADE,
    since     timestamptz NOT NULL DEFAULT now()
);

-- A group's own crisis settings: an automatic message for `concern` too (off by default),
-- and the country whose lines its members get (default: the instance's).
CREATE TABLE crisis_group_settings (
    group_id         bigint PRIMARY KEY REFERENCES local_actors (id) ON DELETE CASCADE,
    concern_message  boolean NOT NULL DEFAULT false,
    country          text
);
