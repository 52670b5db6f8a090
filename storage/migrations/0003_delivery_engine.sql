-- The delivery engine (Lemmy 0.19 style): each outgoing activity is stored once with its
-- recipients grouped by destination host; each host has one row with its own cursor, failure
-- state and lease. Rows written for a fan-out grow with hosts, never with followers.

DROP TABLE outgoing_deliveries;

CREATE TABLE outbound_activities (
    seq         bigserial PRIMARY KEY,
    activity_id text NOT NULL UNIQUE,
    sender_uri  text NOT NULL,
    -- Serialized once: every host gets the same bytes (and the same Digest).
    body        text NOT NULL,
    -- {"host[:port]": ["inbox URL", ...]}, inboxes deduplicated through shared inboxes.
    recipients  jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbound_activities_recipients ON outbound_activities USING gin (recipients);

CREATE TABLE delivery_hosts (
    host              text PRIMARY KEY,
    -- Everything in activities up to cursor_seq is answered; of the next activity for this
    -- host, its first cursor_done inboxes are. done_ahead lists positions ("seq:index")
    -- answered beyond the cursor (several requests are in flight at once).
    cursor_seq        bigint NOT NULL DEFAULT 0,
    cursor_done       integer NOT NULL DEFAULT 0,
    done_ahead        text[] NOT NULL DEFAULT '{}',
    last_seq          bigint NOT NULL DEFAULT 0,
    delivered         bigint NOT NULL DEFAULT 0,
    failed            bigint NOT NULL DEFAULT 0,
    retries           bigint NOT NULL DEFAULT 0,
    failures          integer NOT NULL DEFAULT 0,
    failing_since     timestamptz,
    next_attempt_at   timestamptz NOT NULL DEFAULT now(),
    unreachable_since timestamptz,
    dropped           bigint NOT NULL DEFAULT 0,
    last_success_at   timestamptz,
    last_error        text,
    lease_owner       text,
    leased_until      timestamptz
);
CREATE INDEX delivery_hosts_ready ON delivery_hosts (next_attempt_at) WHERE last_seq > cursor_seq;
