-- Resources a group pins to its featured collection: a post (by its id) or a link with a title.
CREATE TABLE group_pins (
    group_id  bigint NOT NULL REFERENCES local_actors (id) ON DELETE CASCADE,
    uri       text NOT NULL,
    title     text,
    pinned_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (group_id, uri)
);
