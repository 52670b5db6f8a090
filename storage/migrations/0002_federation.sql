-- Federation: our actors and their keys, the remote actors and keys we cache, follows, the
-- durable inbox queue, a simple durable delivery queue, and what remote actors tell us.

CREATE TABLE local_actors (
    id                          bigserial PRIMARY KEY,
    kind                        text NOT NULL CHECK (kind IN ('Application', 'Group', 'Person')),
    username                    text NOT NULL UNIQUE,
    name                        text NOT NULL,
    summary                     text NOT NULL DEFAULT '',
    icon_url                    text,
    manually_approves_followers boolean NOT NULL DEFAULT false,
    discoverable                boolean NOT NULL DEFAULT true,
    hide_followers              boolean NOT NULL DEFAULT false,
    public_key_pem              text NOT NULL,
    private_key_pem             text NOT NULL,
    published                   timestamptz NOT NULL DEFAULT now()
);
-- At most one instance actor.
CREATE UNIQUE INDEX local_actors_one_application ON local_actors (kind) WHERE kind = 'Application';

CREATE TABLE remote_actors (
    uri                text PRIMARY KEY,
    domain             text NOT NULL,
    type               text NOT NULL,
    preferred_username text,
    name               text,
    inbox              text NOT NULL,
    shared_inbox       text,
    followers_url      text,
    url                text,
    moved_to           text,
    document           jsonb NOT NULL,
    fetched_at         timestamptz NOT NULL,
    deleted_at         timestamptz
);
CREATE INDEX remote_actors_domain ON remote_actors (domain);

CREATE TABLE remote_keys (
    key_id         text PRIMARY KEY,
    owner_uri      text NOT NULL,
    public_key_pem text NOT NULL,
    fetched_at     timestamptz NOT NULL
);
CREATE INDEX remote_keys_owner ON remote_keys (owner_uri);

-- Both directions: a remote actor following a local one, and a local actor following a
-- remote one. The Follow activity's id makes a retried Follow idempotent.
CREATE TABLE follows (
    id            bigserial PRIMARY KEY,
    follower_uri  text NOT NULL,
    followee_uri  text NOT NULL,
    activity_uri  text NOT NULL UNIQUE,
    state         text NOT NULL CHECK (state IN ('pending', 'accepted')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (follower_uri, followee_uri)
);
CREATE INDEX follows_followee ON follows (followee_uri, state);

-- The durable inbox: a POST is answered 202 only after its row commits; a worker claims rows
-- with FOR UPDATE SKIP LOCKED and a lease, and marks them done only after handling them.
CREATE TABLE inbox_activities (
    id            bigserial PRIMARY KEY,
    activity_id   text NOT NULL UNIQUE,
    actor_uri     text NOT NULL,
    type          text NOT NULL,
    recipient     text,
    payload       jsonb NOT NULL,
    verified_by   text NOT NULL,
    signer_key_id text,
    received_at   timestamptz NOT NULL DEFAULT now(),
    state         text NOT NULL DEFAULT 'queued'
                  CHECK (state IN ('queued', 'done', 'failed', 'dropped')),
    attempts      integer NOT NULL DEFAULT 0,
    available_at  timestamptz NOT NULL DEFAULT now(),
    locked_until  timestamptz,
    result        text,
    processed_at  timestamptz
);
CREATE INDEX inbox_activities_ready ON inbox_activities (available_at) WHERE state = 'queued';

-- Outgoing deliveries, one row per (activity, inbox). The delivery-engine issue replaces
-- this with per-host cursors; the queue semantics (lease, backoff, nothing lost) stay.
CREATE TABLE outgoing_deliveries (
    id           bigserial PRIMARY KEY,
    activity_id  text NOT NULL,
    inbox_url    text NOT NULL,
    sender_uri   text NOT NULL,
    payload      jsonb NOT NULL,
    state        text NOT NULL DEFAULT 'queued'
                 CHECK (state IN ('queued', 'delivered', 'failed')),
    attempts     integer NOT NULL DEFAULT 0,
    available_at timestamptz NOT NULL DEFAULT now(),
    locked_until timestamptz,
    last_error   text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    delivered_at timestamptz,
    UNIQUE (activity_id, inbox_url)
);
CREATE INDEX outgoing_deliveries_ready ON outgoing_deliveries (available_at) WHERE state = 'queued';

-- Posts and other objects remote actors created (Note, Article, Page, Question...).
CREATE TABLE remote_objects (
    uri           text PRIMARY KEY,
    type          text NOT NULL,
    attributed_to text NOT NULL,
    content       text NOT NULL DEFAULT '',
    summary       text,
    sensitive     boolean NOT NULL DEFAULT false,
    in_reply_to   text,
    audience      text,
    published     timestamptz,
    updated       timestamptz,
    document      jsonb NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now(),
    deleted_at    timestamptz
);
CREATE INDEX remote_objects_author ON remote_objects (attributed_to);

-- Like, Dislike, EmojiReact and Announce of an object; undone by deleting the row.
CREATE TABLE reactions (
    activity_uri text PRIMARY KEY,
    type         text NOT NULL,
    actor_uri    text NOT NULL,
    object_uri   text NOT NULL,
    content      text,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reactions_object ON reactions (object_uri);

CREATE TABLE actor_blocks (
    activity_uri text PRIMARY KEY,
    actor_uri    text NOT NULL,
    target_uri   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (actor_uri, target_uri)
);

-- Reports (Flag) from other instances; the moderation issue builds the review on them.
CREATE TABLE reports (
    id           bigserial PRIMARY KEY,
    activity_uri text NOT NULL UNIQUE,
    actor_uri    text NOT NULL,
    object_uris  text[] NOT NULL,
    content      text NOT NULL DEFAULT '',
    received_at  timestamptz NOT NULL DEFAULT now()
);

-- Instance domain blocks (the blocklist issue grows this into a full model).
CREATE TABLE domain_blocks (
    domain     text PRIMARY KEY,
    severity   text NOT NULL DEFAULT 'suspend' CHECK (severity IN ('suspend', 'silence', 'noop')),
    comment    text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);
