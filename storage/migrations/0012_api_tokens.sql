-- Bearer tokens for the admin API, one per staff account and use; only their hash is stored.
CREATE TABLE api_tokens (
    token_hash text PRIMARY KEY,
    actor_id   bigint NOT NULL REFERENCES local_actors (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now()
);
