-- Crisis resources: crisis lines, local services and self-help links, instance-wide
-- (group_id NULL) or for one group, each with where it came from and when it was checked.
CREATE TABLE crisis_resources (
    id          bigserial PRIMARY KEY,
    group_id    bigint REFERENCES local_actors (id) ON DELETE CASCADE,
    country     text NOT NULL,            -- ISO 3166 alpha-2, or 'INT' for international
    name        text NOT NULL,
    kind        text NOT NULL DEFAULT 'crisis_line'
                CHECK (kind IN ('crisis_line', 'emergency', 'local_service', 'self_help')),
    phone       text NOT NULL DEFAULT '',
    url         text NOT NULL DEFAULT '',
    hours       text NOT NULL DEFAULT '',
    languages   text[] NOT NULL DEFAULT '{}',
    source      text NOT NULL DEFAULT '',
    checked_on  text NOT NULL DEFAULT '',   -- the date its source gives
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX crisis_resources_once
    ON crisis_resources (coalesce(group_id, 0), country, name, phone);
CREATE INDEX crisis_resources_country ON crisis_resources (country);
