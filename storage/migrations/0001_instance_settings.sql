-- Instance-wide settings an admin can change at run time (the rest comes from PEERHAVEN_*).
CREATE TABLE instance_settings (
    key        text PRIMARY KEY,
    value      jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
