-- Staff roles, group moderators (local or remote accounts), and "only moderators may post".
ALTER TABLE local_actors
    ADD COLUMN role text CHECK (role IN ('admin', 'moderator', 'professional'));
ALTER TABLE local_actors DROP CONSTRAINT local_actors_posting_check;
ALTER TABLE local_actors
    ADD CONSTRAINT local_actors_posting_check
    CHECK (posting IN ('members', 'anyone', 'moderators'));

CREATE TABLE group_moderators (
    group_id  bigint NOT NULL REFERENCES local_actors (id) ON DELETE CASCADE,
    actor_uri text NOT NULL,
    added_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (group_id, actor_uri)
);
