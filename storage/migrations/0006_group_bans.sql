-- Members banned from a group by its moderators: their follow is removed, later posts are
-- refused with a Reject, until the ban ends (or is lifted).
CREATE TABLE group_bans (
    id         bigserial PRIMARY KEY,
    group_id   bigint NOT NULL REFERENCES local_actors (id) ON DELETE CASCADE,
    actor_uri  text NOT NULL,
    reason     text NOT NULL DEFAULT '',
    block      jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    ends_at    timestamptz,
    UNIQUE (group_id, actor_uri)
);
