-- Group settings beyond name and summary: rules (shown on the page and as profile fields),
-- who may post, and whether replies are relayed.
ALTER TABLE local_actors
    ADD COLUMN rules   jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN posting text NOT NULL DEFAULT 'members' CHECK (posting IN ('members', 'anyone')),
    ADD COLUMN replies text NOT NULL DEFAULT 'top-level' CHECK (replies IN ('all', 'top-level'));
