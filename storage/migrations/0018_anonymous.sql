-- Accountable anonymous submissions: a member's direct message to a group that starts with
-- the group's keyword waits for the group's moderators; approved, the group publishes the
-- text as its own note. Who wrote it is kept apart, in anonymous_seals: the submissions
-- table, which moderators list, never holds the author.

-- A group's keyword (absent: the default, "!anon").
CREATE TABLE anonymous_settings (
    group_id bigint PRIMARY KEY REFERENCES local_actors (id) ON DELETE CASCADE,
    keyword  text NOT NULL CHECK (length(keyword) BETWEEN 1 AND 32 AND keyword !~ '\s')
);

-- The sealed author of each submission: read only through an audited unseal, or to tell
-- the author what became of it. A replayed direct message is one submission (UNIQUE).
CREATE TABLE anonymous_seals (
    id           bigserial PRIMARY KEY,
    activity_uri text NOT NULL UNIQUE,
    object_uri   text NOT NULL UNIQUE,
    actor_uri    text NOT NULL,
    sealed_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE anonymous_submissions (
    id            bigserial PRIMARY KEY,
    seal_id       bigint NOT NULL UNIQUE REFERENCES anonymous_seals (id) ON DELETE CASCADE,
    group_id      bigint NOT NULL REFERENCES local_actors (id) ON DELETE CASCADE,
    content       text NOT NULL,             -- plain text, without the keyword
    summary       text,                      -- the author's content warning, plain text
    sensitive     boolean NOT NULL DEFAULT false,
    state         text NOT NULL DEFAULT 'pending'
                  CHECK (state IN ('pending', 'approved', 'declined')),
    received_at   timestamptz NOT NULL DEFAULT now(),
    decided_by    text,
    decided_at    timestamptz,
    note          text NOT NULL DEFAULT '',  -- the moderator's note (a decline tells it)
    note_uri      text UNIQUE,               -- the group's published note
    author_banned boolean NOT NULL DEFAULT false
);
CREATE INDEX anonymous_submissions_pending ON anonymous_submissions (group_id, received_at)
    WHERE state = 'pending';
