-- Posts a group relayed to its members (FEP-1b12): one row per group and object. The group's
-- outbox lists them; removing one (moderation) will undo its Announce.
CREATE TABLE group_posts (
    id             bigserial PRIMARY KEY,
    group_id       bigint NOT NULL REFERENCES local_actors (id) ON DELETE CASCADE,
    object_uri     text NOT NULL,
    author_uri     text NOT NULL,
    announce_id    text NOT NULL UNIQUE,
    announce       jsonb NOT NULL,
    state          text NOT NULL DEFAULT 'relayed' CHECK (state IN ('relayed', 'removed')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (group_id, object_uri)
);
CREATE INDEX group_posts_outbox ON group_posts (group_id, id DESC) WHERE state = 'relayed';
