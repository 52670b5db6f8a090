-- Moderation: the policy decision stored with each activity, the review queue, per-group
-- policies, instance-wide account restrictions, reports as moderators work them, and an
-- append-only audit log.

ALTER TABLE inbox_activities DROP CONSTRAINT inbox_activities_state_check;
ALTER TABLE inbox_activities ADD CONSTRAINT inbox_activities_state_check
    CHECK (state IN ('queued', 'done', 'failed', 'dropped', 'held'));
-- What the policy chain decided (action, reason, policy, rewrites, shadow findings).
ALTER TABLE inbox_activities ADD COLUMN moderation jsonb;
-- Set when a moderator approved a post the instance chain held: it is not screened again.
ALTER TABLE inbox_activities ADD COLUMN approved boolean NOT NULL DEFAULT false;

-- Posts waiting for a moderator. group_id NULL: held by the instance (its policies, or a
-- limited account or domain); else by that group's own policies.
CREATE TABLE review_items (
    id            bigserial PRIMARY KEY,
    inbox_id      bigint REFERENCES inbox_activities (id) ON DELETE SET NULL,
    activity_uri  text NOT NULL,
    actor_uri     text NOT NULL,
    object_uri    text,
    group_id      bigint REFERENCES local_actors (id) ON DELETE CASCADE,
    group_ids     bigint[] NOT NULL DEFAULT '{}',  -- the groups the post was for
    policy        text NOT NULL,
    reason        text NOT NULL,
    payload       jsonb NOT NULL,
    -- the instance's policies rewrote what readers see (a content warning added...): the
    -- payload is the rewritten activity, shared as the group's own copy once approved
    rewritten     boolean NOT NULL DEFAULT false,
    -- withdrawn: the author deleted the post (or the account) while it waited
    state         text NOT NULL DEFAULT 'pending'
                  CHECK (state IN ('pending', 'approved', 'declined', 'withdrawn')),
    held_at       timestamptz NOT NULL DEFAULT now(),
    decided_by    text,
    decided_at    timestamptz,
    note          text NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX review_items_once ON review_items (activity_uri, coalesce(group_id, 0));
CREATE INDEX review_items_pending ON review_items (held_at) WHERE state = 'pending';

-- A group's own policies (stricter than the instance's, never looser): policy tables as in
-- the instance's TOML file.
CREATE TABLE group_policies (
    group_id   bigint PRIMARY KEY REFERENCES local_actors (id) ON DELETE CASCADE,
    policies   jsonb NOT NULL DEFAULT '[]',
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Remote accounts suspended (nothing accepted from them) or limited (their posts held, their
-- follows need approval) on the whole instance.
CREATE TABLE account_restrictions (
    actor_uri  text PRIMARY KEY,
    severity   text NOT NULL CHECK (severity IN ('suspend', 'limit')),
    reason     text NOT NULL DEFAULT '',
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE reports ADD COLUMN group_id bigint REFERENCES local_actors (id) ON DELETE SET NULL;
ALTER TABLE reports ADD COLUMN source text NOT NULL DEFAULT 'remote'
    CHECK (source IN ('remote', 'local'));
ALTER TABLE reports ADD COLUMN state text NOT NULL DEFAULT 'open'
    CHECK (state IN ('open', 'resolved', 'dismissed'));
ALTER TABLE reports ADD COLUMN resolved_by text;
ALTER TABLE reports ADD COLUMN resolved_at timestamptz;
ALTER TABLE reports ADD COLUMN resolution text NOT NULL DEFAULT '';
ALTER TABLE reports ADD COLUMN action text;
ALTER TABLE reports ADD COLUMN forwarded_to text;
CREATE INDEX reports_open ON reports (group_id) WHERE state = 'open';

-- Every moderation decision and action: who, what, on what, why, when, and what led to it.
CREATE TABLE audit_log (
    id      bigserial PRIMARY KEY,
    at      timestamptz NOT NULL DEFAULT now(),
    who     text NOT NULL,      -- a staff actor's URI, or "policy:NAME" / "system"
    action  text NOT NULL,
    target  text NOT NULL,
    reason  text NOT NULL DEFAULT '',
    source  text NOT NULL DEFAULT '',  -- the policy or report behind it
    details jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_target ON audit_log (target, id);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

-- The link-spam and first-contact policies ask whether an account has posted before.
CREATE INDEX group_posts_author ON group_posts (group_id, author_uri);

-- Shown on /about/moderation with its public comment (``comment``); an obfuscated block
-- shows the domain partly starred (as Mastodon does). The private comment is never shown.
ALTER TABLE domain_blocks ADD COLUMN obfuscate boolean NOT NULL DEFAULT false;
ALTER TABLE domain_blocks ADD COLUMN private_comment text NOT NULL DEFAULT '';
