"""The moderation decisions the inbox pipeline is handed (``federation.context``'s
``ModerationGate``): domain blocks, instance-wide account restrictions, the instance's policy
chain and each group's own."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from typing import Any

import asyncpg

from federation.cache import TTLCache
from federation.parse_values import timestamp
from federation.screening import (
    Action,
    CrisisMark,
    CrisisReply,
    Facts,
    Rewrite,
    RewriteKind,
    Subject,
    Verdict,
    subject_of,
)
from federation.wire import Activity
from moderation.blocklists.live import LiveBlocklist
from moderation.blocklists.matcher import Rule
from moderation.crisis.detector import CrisisResult, Detector
from moderation.crisis.messages import TEMPLATES, compose, pinned
from moderation.crisis.resources import Resource, choose
from moderation.policies.chain import Chain
from moderation.policies.config import PolicyFileError, build_chain
from moderation.policies.store import PolicyFile
from storage import crisis_settings, facts, group_policies, resources, restrictions

log = logging.getLogger(__name__)

# Changes made by another process take effect within this many seconds.
CACHE_SECONDS = 5.0


class Moderation:
    def __init__(
        self,
        pool: asyncpg.Pool,
        policies: PolicyFile,
        blocklist: LiveBlocklist | None = None,
        cache_seconds: float = CACHE_SECONDS,
        crisis: Detector | None = None,
        *,
        default_country: str = "",
        templates: dict[str, dict[str, str]] | None = None,
    ) -> None:
        self.pool = pool
        self.policies = policies
        self.crisis = crisis
        self.default_country = default_country
        self.templates = templates or TEMPLATES
        self.blocklist = blocklist or LiveBlocklist(pool)
        self._restrictions: TTLCache[str, str] = TTLCache(cache_seconds)
        self._group_chains: TTLCache[int, Chain] = TTLCache(cache_seconds)
        self._last: tuple[Activity, Subject] | None = None

    async def domain_blocked(self, domain: str) -> bool:
        return await self.blocklist.domain_blocked(domain)

    async def restriction(self, actor: str) -> str | None:
        cached = self._restrictions.get(actor)
        if cached is None:
            found = await restrictions.severity(self.pool, actor)
            cached = self._restrictions.put(actor, found or "")
        return cached or None

    async def needs_approval(self, actor: str, domain: str) -> bool:
        """Limited accounts, and silenced domains or ones whose follows are rejected, cannot
        follow without a moderator."""
        if await self.restriction(actor) == "limit":
            return True
        rule = await self.blocklist.rule(domain)
        return rule is not None and (rule.severity == "silence" or rule.reject_follows)

    def _subject(self, activity: Activity) -> Subject:
        """The activity as policies read it; the relay asks each group about the activity the
        instance just screened, so the last one is kept."""
        last = self._last
        if last is not None and last[0] is activity:
            return last[1]
        subject = subject_of(activity)
        self._last = (activity, subject)
        return subject

    async def screen(
        self, activity: Activity, now: datetime, *, approved: bool = False, crisis: bool = True
    ) -> Verdict:
        """The instance's answer: account and domain restrictions, the crisis detector (when
        ``crisis``: a post for one of our groups), then the policy chain. ``approved``: a
        moderator approved it after a hold; holds no longer apply, but suspensions and
        rejects still do, and rewrites are gathered again."""
        subject = self._subject(activity)
        rule = await self.blocklist.rule(subject.domain)
        restricted = await self._restricted(subject, rule, holds=not approved)
        if restricted is not None:
            return restricted
        if crisis and not approved:
            held = self._crisis(subject)
            if held is not None:
                return held
        chain = self.policies.current()
        verdict = Verdict()
        if chain.policies:
            subject = await self._with_facts(subject, chain.needs, None)
            verdict = chain.evaluate(subject, now, holds=not approved)
        if rule is not None and rule.reject_media and subject.attachments:
            verdict = _with_rewrite(verdict, Rewrite(RewriteKind.STRIP_MEDIA), rule.domain)
        return verdict

    def _crisis(self, subject: Subject) -> Verdict | None:
        """A post (or an edit of one) whose writer may be in crisis (urgent, concern) or that
        holds or seeks method details waits for a person: never relayed on its own, never
        deleted."""
        if self.crisis is None or not subject.is_post:
            return None
        found = self._detect("\n".join(filter(None, (subject.summary, subject.content))),
                             _primary(subject.language))  # fmt: skip
        if found.level == "none" and not found.method:
            return None
        mark = found.level + (", method" if found.method else "")
        reason = f"crisis: {mark} ({'; '.join(found.evidence[:3])})"
        # The person's language: the post's own tag when it has one (Mastodon's contentMap
        # key is the author's chosen language), else the language the detector read.
        lang = _primary(subject.language) or found.lang
        crisis = CrisisMark(found.level, found.method, found.evidence, lang)
        return Verdict(Action.HOLD, reason, "crisis", crisis=crisis)

    def _detect(self, text: str, tag: str | None) -> CrisisResult:
        """Read in the tagged language; a post tagged in one language and written in another
        (a default left unchanged) is read again in the language its words say."""
        assert self.crisis is not None
        found = self.crisis.check(text, tag)
        if found.level == "urgent" or tag is None:
            return found
        written = self.crisis.language(text)
        if written == found.lang:
            return found
        other = self.crisis.check(text, written)
        return other if _LEVEL[other.level] > _LEVEL[found.level] else found

    async def crisis_messages(self, group_id: int, level: str) -> bool:
        """Whether the person is written to: always for urgent; for concern only when the
        group turned it on."""
        if level == "urgent":
            return True
        if level != "concern":
            return False
        return (await crisis_settings.get(self.pool, group_id)).concern_message

    async def crisis_reply(
        self, lang: str, group_id: int, group_name: str, country: str | None = None
    ) -> CrisisReply:
        """The message for a person writing in ``lang``: the group's own lines first, then
        the instance's, for ``country`` (asked for), else the group's, else the instance's."""
        asked = country is not None
        country = country or await self.group_country(group_id)
        chosen = await self._lines(lang, country, group_id, asked=asked, limit=3)
        return compose(self.templates, lang, country, chosen, group_name)

    async def group_country(self, group_id: int) -> str:
        """Whose lines a group's members get: the group's country, else the instance's."""
        country = (await crisis_settings.get(self.pool, group_id)).country
        return (country or self.default_country).upper()

    async def _lines(
        self, lang: str, country: str, group_id: int, *, asked: bool, limit: int
    ) -> list[Resource]:
        """The group's own lines first, then the instance's."""
        rows = await resources.for_country(self.pool, country, group_id)
        own = [Resource.from_row(r) for r in rows if r["group_id"] is not None]
        shared = [Resource.from_row(r) for r in rows if r["group_id"] is None]
        chosen = choose(own, lang, country, asked=asked, limit=limit) if own else []
        chosen += [r for r in choose(shared, lang, country, asked=asked, limit=limit)
                   if r not in chosen]  # fmt: skip
        return chosen[:limit]

    async def resources_post(
        self, lang: str, group_id: int, page: str
    ) -> tuple[str, tuple[str, ...]]:
        """A group's pinned post of crisis lines: its title and paragraphs."""
        country = await self.group_country(group_id)
        chosen = await self._lines(lang, country, group_id, asked=False, limit=5)
        return pinned(self.templates, lang, country, chosen, page)

    async def screen_group(self, group_id: int, activity: Activity, now: datetime) -> Verdict:
        """A group's own policies (stricter than the instance's, never looser)."""
        chain = await self.group_chain(group_id)
        if not chain.policies:
            return Verdict(scope=chain.scope)
        subject = await self._with_facts(self._subject(activity), chain.needs, group_id)
        return chain.evaluate(subject, now)

    async def _restricted(
        self, subject: Subject, rule: Rule | None, *, holds: bool = True
    ) -> Verdict | None:
        severity = await self.restriction(subject.actor)
        if severity == "suspend":
            return Verdict(Action.REJECT, "the account is suspended on this instance", "account")
        domain = rule.severity if rule is not None else None
        if rule is not None and rule.reject_reports and subject.activity_type == "Flag":
            return Verdict(Action.REJECT, f"reports from {subject.domain} are rejected", "domain")
        if domain == "suspend":
            # The inbox refuses a suspended domain at the door; this catches what was queued
            # (or held) before the block.
            return Verdict(
                Action.REJECT, f"{subject.domain} is suspended on this instance", "domain"
            )
        if not subject.is_post or not holds:
            return None
        if severity == "limit":
            return Verdict(Action.HOLD, "the account is limited on this instance", "account")
        if domain == "silence":
            return Verdict(Action.HOLD, f"{subject.domain} is limited on this instance", "domain")
        return None

    async def _with_facts(
        self, subject: Subject, needs: frozenset[str], group_id: int | None
    ) -> Subject:
        if not needs:
            return subject
        known = created = in_group = None
        if "actor_known" in needs:
            known = await facts.actor_known(self.pool, subject.actor)
        if "actor_created" in needs:
            created = timestamp(await facts.actor_published(self.pool, subject.actor))
        if "posts_in_group" in needs and group_id is not None:
            in_group = await facts.posts_in_group(self.pool, group_id, subject.actor)
        return replace(subject, facts=Facts(known, created, in_group))

    async def group_chain(self, group_id: int) -> Chain:
        chain = self._group_chains.get(group_id)
        if chain is None:
            tables = await group_policies.get(self.pool, group_id)
            try:
                chain = build_chain(tables, "group")
            except PolicyFileError as exc:  # stored before a rule changed: keep the rest going
                log.error("group %s policies not loaded: %s", group_id, exc)
                chain = Chain(scope="group")
            chain = self._group_chains.put(group_id, Chain(chain.policies, f"group:{group_id}"))
        return chain

    def forget(self) -> None:
        """Drop cached decisions (after this process changed restrictions or policies)."""
        self.blocklist.forget()
        self._restrictions.clear()
        self._group_chains.clear()

    def describe(self) -> dict[str, Any]:
        """The policies in force and their public parameters (NodeInfo, /about/moderation)."""
        chain = self.policies.current()
        simple: dict[str, list[str]] = {}
        for policy in chain.policies:
            if policy.type == "domain" and policy.public_params and not policy.shadow:
                for key, domains in policy.rule.public().items():
                    simple.setdefault(key, []).extend(domains)
        return {
            "mrf_policies": ["domain_block", *(p.name for p in chain.policies)],
            "mrf_simple": {k: sorted(set(v)) for k, v in simple.items()},
            "policies": chain.describe(),
            "rules": list(chain.rules),
        }


def _with_rewrite(verdict: Verdict, rewrite: Rewrite, domain: str) -> Verdict:
    """A domain block's ``reject_media``: attachments stripped, whatever the policies said."""
    if verdict.action in (Action.REJECT, Action.HOLD) or rewrite in verdict.rewrites:
        return verdict
    reason = "; ".join(r for r in (verdict.reason, f"media from {domain} is rejected") if r)
    policy = ",".join(p for p in (verdict.policy, "domain") if p)
    return replace(verdict, action=Action.REWRITE, reason=reason, policy=policy,
                   rewrites=(*verdict.rewrites, rewrite))  # fmt: skip


_LEVEL = {"none": 0, "concern": 1, "urgent": 2}


def _primary(tag: str | None) -> str | None:
    """``pt-BR`` → ``pt``; ``und`` and junk → None."""
    if not tag:
        return None
    primary = tag.split("-")[0].split("_")[0].lower()
    return primary if primary.isalpha() and 2 <= len(primary) <= 3 and primary != "und" else None
