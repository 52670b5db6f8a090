-- Shared blocklists: the full domain block model, allow entries, subscriptions with each
-- source's own entries, and the pending changes an admin reviews.

ALTER TABLE domain_blocks ADD COLUMN reject_media boolean NOT NULL DEFAULT false;
ALTER TABLE domain_blocks ADD COLUMN reject_reports boolean NOT NULL DEFAULT false;
ALTER TABLE domain_blocks ADD COLUMN reject_follows boolean NOT NULL DEFAULT false;
-- SHA-256 of the domain (Mastodon's digest); for an entry published obfuscated ("ex**le.org")
-- the domain column holds the starred name and only the digest can match.
ALTER TABLE domain_blocks ADD COLUMN digest text NOT NULL DEFAULT '';
-- Where the block came from: "manual", "import:NAME" or "subscriptions" (a consensus).
ALTER TABLE domain_blocks ADD COLUMN source text NOT NULL DEFAULT 'manual';
ALTER TABLE domain_blocks ADD COLUMN created_by text NOT NULL DEFAULT '';
ALTER TABLE domain_blocks ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
UPDATE domain_blocks SET digest = encode(sha256(convert_to(domain, 'UTF8')), 'hex');
CREATE INDEX domain_blocks_digest ON domain_blocks (digest);

-- Domains never blocked (an allow entry overrides any block); in allowlist mode, the only
-- domains accepted.
CREATE TABLE domain_allows (
    domain     text PRIMARY KEY,
    comment    text NOT NULL DEFAULT '',
    created_by text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Bumped on every change to blocks or allows: each process reloads its in-memory list when
-- it sees a new version (so a check never waits on the database).
CREATE TABLE blocklist_version (
    id      boolean PRIMARY KEY DEFAULT true CHECK (id),
    version bigint NOT NULL DEFAULT 0
);
INSERT INTO blocklist_version DEFAULT VALUES;
CREATE FUNCTION blocklist_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE blocklist_version SET version = version + 1;
    RETURN NULL;
END $$;
CREATE TRIGGER domain_blocks_bump AFTER INSERT OR UPDATE OR DELETE ON domain_blocks
    FOR EACH STATEMENT EXECUTE FUNCTION blocklist_bump();
CREATE TRIGGER domain_allows_bump AFTER INSERT OR UPDATE OR DELETE ON domain_allows
    FOR EACH STATEMENT EXECUTE FUNCTION blocklist_bump();

CREATE TABLE blocklist_sources (
    id              bigserial PRIMARY KEY,
    name            text NOT NULL UNIQUE,
    url             text NOT NULL UNIQUE,
    format          text,                    -- NULL: detected
    trust           double precision NOT NULL DEFAULT 1 CHECK (trust >= 0),
    severity_cap    text NOT NULL DEFAULT 'suspend'
                    CHECK (severity_cap IN ('noop', 'silence', 'suspend')),
    refresh_seconds integer NOT NULL DEFAULT 86400 CHECK (refresh_seconds >= 60),
    auto_apply      boolean NOT NULL DEFAULT false,
    etag            text,
    last_modified   text,
    fetched_at      timestamptz,
    next_fetch_at   timestamptz NOT NULL DEFAULT now(),
    last_status     text,
    last_error      text,
    held            text,                    -- why the last fetch was held whole (circuit breaker)
    held_entries    jsonb,                   -- what it would have brought
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- Each source's own word on each domain, as of its last accepted fetch.
CREATE TABLE blocklist_source_entries (
    source_id      bigint NOT NULL REFERENCES blocklist_sources (id) ON DELETE CASCADE,
    domain         text NOT NULL,
    digest         text NOT NULL,
    severity       text NOT NULL,
    reject_media   boolean NOT NULL DEFAULT false,
    reject_reports boolean NOT NULL DEFAULT false,
    reject_follows boolean NOT NULL DEFAULT false,
    obfuscate      boolean NOT NULL DEFAULT false,
    comment        text NOT NULL DEFAULT '',
    first_seen     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source_id, domain)
);

-- Changes the subscriptions propose against the effective list, for an admin to approve.
CREATE TABLE blocklist_changes (
    id          bigserial PRIMARY KEY,
    domain      text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('add', 'retract', 'raise', 'lower', 'flags')),
    current     jsonb,                       -- the block in force, NULL when none
    proposed    jsonb,                       -- the block proposed, NULL for a retraction
    sources     jsonb NOT NULL,              -- every source's severity, comment and time
    fingerprint text NOT NULL,               -- of the sources' words: dismissed until it changes
    state       text NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'approved', 'dismissed', 'superseded')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    decided_by  text,
    decided_at  timestamptz
);
CREATE UNIQUE INDEX blocklist_changes_pending ON blocklist_changes (domain)
    WHERE state = 'pending';
CREATE INDEX blocklist_changes_dismissed ON blocklist_changes (domain, fingerprint)
    WHERE state = 'dismissed';
