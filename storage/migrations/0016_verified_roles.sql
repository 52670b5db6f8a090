-- Verified roles: a professional staff account's verification (made by an admin), and the
-- members a group's moderators mark as verified peer supporters or professionals there.
CREATE TABLE staff_verifications (
    actor_id    bigint PRIMARY KEY REFERENCES local_actors (id) ON DELETE CASCADE,
    credential  text NOT NULL CHECK (length(credential) BETWEEN 1 AND 200),
    verified_by text NOT NULL,               -- the admin's username
    verified_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE group_verified_members (
    group_id   bigint NOT NULL REFERENCES local_actors (id) ON DELETE CASCADE,
    actor_uri  text NOT NULL,
    role       text NOT NULL CHECK (role IN ('peer_supporter', 'professional')),
    credential text NOT NULL CHECK (length(credential) BETWEEN 1 AND 200),
    marked_by  text NOT NULL,                -- as the audit log names the moderator
    marked_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (group_id, actor_uri)
);
