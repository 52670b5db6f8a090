"""A group's pinned post of crisis lines (the admin API and ``peerhaven resources pin``):
its lines from the directory (moderation), published and pinned by the group (federation),
replacing the one it pinned before."""

from __future__ import annotations

from federation import pins
from federation.context import FederationContext
from moderation.gate import Moderation
from storage import audit, crisis_settings
from storage.actors import LocalActor


async def pin_resources(
    ctx: FederationContext, group: LocalActor, lang: str, base_url: str, *, who: str
) -> tuple[str, str]:
    """The new post's id and title."""
    assert isinstance(ctx.moderation, Moderation)
    title, paragraphs = await ctx.moderation.resources_post(lang, group.id, f"{base_url}/resources")
    earlier = await crisis_settings.pinned_note(ctx.pool, group.id)
    note = await pins.publish(ctx, group, title, paragraphs, lang, replacing=earlier)
    await crisis_settings.set_pinned_note(ctx.pool, group.id, note)
    await audit.record(ctx.pool, who=who, action="resource_pin", target=note, reason="",
                       details={"group": group.username, "replaced": earlier})  # fmt: skip
    return note, title
