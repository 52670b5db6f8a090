-- What software each remote host runs (from its NodeInfo): the group relay sends FEP-1b12's
-- form to group-aware software and Mastodon's form (a boost) to everything else.
CREATE TABLE instance_software (
    domain     text PRIMARY KEY,
    software   text,
    version    text,
    fetched_at timestamptz NOT NULL DEFAULT now()
);
