-- Posts written by our own staff accounts (Person actors): served at their ids, delivered as
-- Create, deleted with Delete (a tombstone stays so the id answers 410).
CREATE TABLE local_posts (
    id         bigserial PRIMARY KEY,
    uri        text NOT NULL UNIQUE,
    author_id  bigint NOT NULL REFERENCES local_actors (id) ON DELETE CASCADE,
    document   jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz
);
