-- Members-only groups: the group republishes accepted posts as its own followers-only notes
-- (Mastodon cannot boost a non-public post), served only to its members' servers.
ALTER TABLE local_actors
    ADD COLUMN visibility text NOT NULL DEFAULT 'public' CHECK (visibility IN ('public', 'members'));

CREATE TABLE group_notes (
    uri        text PRIMARY KEY,
    group_id   bigint NOT NULL REFERENCES local_actors (id) ON DELETE CASCADE,
    object_uri text NOT NULL,
    document   jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz,
    UNIQUE (group_id, object_uri)
);
