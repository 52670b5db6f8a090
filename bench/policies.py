"""Policy chain benchmark: the instance's moderation chain per incoming activity, next to the
cost of checking the HTTP signature the activity came with.

    python -m bench.policies [--rounds 20] [--activities 300]

The chain is parsed from a policy file with 10 policies (domain, four keyword policies with
1,000 words and phrases between them plus a few regular expressions, hashtag, link_spam,
mention_flood, object_age, require_content_warning). A few hundred distinct Create(Note)s
(200-2,000 characters of text, mentions, hashtags, some links; some of them meant to be
rejected, held or given a content warning) are parsed once up front. Measured, per activity:
``subject_of`` + ``Chain.evaluate`` (the CPU work of ``Moderation.screen`` besides its cached
look-ups), and ``Chain.evaluate`` alone; and per request: ``verify_request`` on a
draft-cavage rsa-sha256 signature (RSA-2048, Digest checked) with the key resolved from
memory. Median and p95 in microseconds, and the ratio chain / signature check. Speed is
measured, not asserted: the exit status is non-zero only when something fails (an activity
that does not parse, a signature that does not verify, activities that do not draw all of
accept, reject, hold and rewrite). A short summary goes to stderr, one JSON line to stdout.
Runs in one process: no network, no database.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import random
import statistics
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from bench.common import emit
from federation.parse import parse_document
from federation.screening import Facts, Subject, Verdict, subject_of
from federation.signatures.cavage import (
    CavageSigner,
    build_signing_string,
    parse_signature_header,
)
from federation.signatures.keys import generate_rsa_keypair, load_public_key
from federation.signatures.types import PublicKeyInfo, SignedRequest
from federation.signatures.verify import verify_request
from federation.wire import Activity
from moderation.policies.chain import Chain
from moderation.policies.config import parse_file

AS = "https://www.w3.org/ns/activitystreams"
PUBLIC = f"{AS}#Public"
CONTEXT = [
    AS,
    "https://w3id.org/security/v1",
    {"sensitive": "as:sensitive", "Hashtag": "as:Hashtag", "toot": "http://joinmastodon.org/ns#"},
]  # Mastodon's, shortened
INBOX_HOST = "peerhaven.example"
INBOX_PATH = "/groups/circle/inbox"
SIGNING_ACTORS = 5

# Everyday words, most of the text; the rest are made-up words from a long tail.
COMMON = """the be to of and a in that have i it for not on with he as you do at this but his by
from they we say her she or an will my one all would there their what so up out if about who
get which go me when make can like time no just him know take people into year your good some
could them see other than then now look only come its over think also back after use two how
our work first well way even new want because any these give day most us is was are been has
had were said did got feel felt really today week group thanks thank support help hard better
little still again long talk talked listen friend friends family sleep morning night tired
hope glad sorry maybe though through while being every never always something anything nothing
lot much many very too here where why should would might need needed try tried trying start
started keep kept find found tell told ask asked call called post share shared read reading
walk walked doctor appointment therapy therapist meeting weekend small step steps progress
anxious calm quiet breathe breathing journal journaling remember forget moment moments""".split()
SYLLABLES = ("ka lo mi ren tu sha vel dor pi zan qua ex ob ar il um fen gri tho bra nel sor "
             "tav wen yul kri dam pho ster glin mau rok sev tir").split()  # fmt: skip
TAGS = ("mentalhealth selfcare recovery support gratitude anxiety depression grief sobriety "
        "caregiving chronicpain adhd autism loneliness wellbeing journaling mindfulness "
        "peersupport sleep therapy").split()  # fmt: skip

# First words of listed phrases that are also everyday words: those index entries are looked
# at for every "you" or "get" in every post.
SPAM_LEADS = ("buy", "free", "cheap", "click", "get", "win", "best", "earn", "follow", "hot")
ABUSE_LEADS = ("you", "your", "go", "i", "they", "such", "what")
CW_LEADS = ("my", "feel", "tried")

KEYWORD_POLICIES = (  # name, action, single words, phrases, first words of phrases
    ("spam", "reject", 250, 150, SPAM_LEADS),
    ("abuse", "hold", 150, 150, ABUSE_LEADS),
    ("sensitive", "content_warning", 160, 40, CW_LEADS),
    ("profile names", "reject", 100, 0, ()),
)
REGEXES = {  # keyword policy name -> regular expressions added to it
    "abuse": [r"\bk+y+s+\b", r"\bdie\s+in\s+a\s+\w+\b", r"(?:\bkill\b.{0,20}\byourself\b)"],
    "profile names": [r"official.{0,10}support", r"\bcrypto\s*giveaway\b"],
    "sensitive": [r"\b\d{2,3}\s*(?:lbs|kg)\s+(?:lost|down)\b"],
}


def make_words(rng: random.Random, count: int, taken: set[str]) -> list[str]:
    out: list[str] = []
    while len(out) < count:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in taken and len(word) > 3:
            taken.add(word)
            out.append(word)
    return out


@dataclass
class Setup:
    text: str  # the policy file
    keywords: dict[str, list[str]]  # policy name -> its words and phrases
    counts: dict[str, int]
    tail: list[str]  # made-up words for the content
    reject_domains: list[str]
    rewrite_domains: list[str]
    hold_tags: list[str]  # listed hashtags (any action)
    topics: list[str]


def _toml_list(values: list[str]) -> str:
    return "[" + ", ".join(json.dumps(v) for v in values) + "]"


def policy_file(rng: random.Random) -> Setup:
    taken = set(COMMON)
    tail = make_words(rng, 3000, taken)
    keywords: dict[str, list[str]] = {}
    for name, _, singles, phrases, leads in KEYWORD_POLICIES:
        found = make_words(rng, singles, taken)
        for i in range(phrases):
            rest = " ".join(make_words(rng, 1 + i % 2, taken))
            found.append(f"{leads[i % len(leads)]} {rest}")
        keywords[name] = found
    reject_domains = [f"spam{i}.example" for i in range(40)] + ["*.bad.example"]
    rewrite_domains = [f"loud{i}.example" for i in range(6)]
    tags = rng.sample(make_words(rng, 60, taken), 30)
    # Topics: single words, and phrases whose first word is an everyday one.
    topics = make_words(rng, 8, taken)
    leads = (*CW_LEADS, "the")
    topics += [f"{a} {b}" for a, b in zip(leads, make_words(rng, len(leads), taken), strict=True)]
    blocks = [
        f"""[[policy]]
type = "domain"
reject = {_toml_list(reject_domains)}
media_nsfw = {_toml_list(rewrite_domains[:3])}
followers_only = {_toml_list(rewrite_domains[3:])}
media_removal = {_toml_list(rewrite_domains)}
""",
        """[[policy]]
type = "mention_flood"
hold_above = 5
reject_above = 10
""",
        """[[policy]]
type = "object_age"
max_age_days = 7
action = "hold"
""",
        """[[policy]]
type = "link_spam"
min_account_age_days = 7
""",
        f"""[[policy]]
type = "hashtag"
reject = {_toml_list(tags[:10])}
hold = {_toml_list(tags[10:20])}
content_warning = {_toml_list(tags[20:])}
warning = "Sensitive hashtag"
""",
    ]
    for name, action, _, _, _ in KEYWORD_POLICIES:
        block = f'[[policy]]\ntype = "keyword"\nname = "{name}"\n'
        if name == "profile names":
            block += 'fields = ["names", "summary"]\n'
        if name == "abuse":  # the long form: one table per word or phrase
            rules = [f"match = {json.dumps(w)}" for w in keywords[name]]
        else:  # the short form: one list sharing one action
            block += (f'action = "{action}"\nwarning = "Mentions {name} topics"\n'
                      f"words = {_toml_list(keywords[name])}\n")  # fmt: skip
            rules = []
        rules += [f"regex = {json.dumps(r)}" for r in REGEXES.get(name, [])]
        block += "".join(f'[[policy.rules]]\n{r}\naction = "{action}"\n' for r in rules)
        blocks.append(block)
    blocks.append(
        f"""[[policy]]
type = "require_content_warning"
topics = {_toml_list(topics)}
action = "add"
warning = "Sensitive topic"
"""
    )
    counts = {
        "policies": len(blocks),
        "keywords": sum(len(v) for v in keywords.values()),
        "regexes": sum(len(v) for v in REGEXES.values()),
        "hashtags": len(tags),
        "topics": len(topics),
        "domains": len(reject_domains) + len(rewrite_domains),
    }
    text = 'rules = ["Be kind.", "No advertising."]\n\n' + "\n".join(blocks)
    return Setup(text, keywords, counts, tail, reject_domains[:-1], rewrite_domains, tags, topics)


# --- incoming activities ------------------------------------------------------------------


@dataclass
class Incoming:
    activity: Activity
    body: bytes  # as it came over the wire
    facts: Facts
    expect: str  # what the post was made to trigger ("" for nothing)


def _word(rng: random.Random, words: list[str], skew: float) -> str:
    """Often one of the first (most frequent) words of the list, else any of them."""
    if rng.random() < skew:
        return words[min(int(rng.paretovariate(0.9)) - 1, len(words) - 1)]
    return rng.choice(words)


def _sentence(rng: random.Random, tail: list[str]) -> list[str]:
    """Three words in four everyday ones, the rest from the long tail."""
    return [
        _word(rng, COMMON, 0.5) if rng.random() < 0.75 else _word(rng, tail, 0.3)
        for _ in range(rng.randint(6, 18))
    ]


def _text(rng: random.Random, tail: list[str], length: int, inject: str | None) -> list[str]:
    """Paragraphs of plain words of about ``length`` characters; ``inject`` put somewhere."""
    sentences: list[str] = []
    size = 0
    while size < length:
        words = _sentence(rng, tail)
        sentence = " ".join(words).capitalize() + rng.choice(".....?!")
        sentences.append(sentence)
        size += len(sentence) + 1
    if inject:
        i = rng.randrange(len(sentences))
        words = sentences[i].split(" ")
        words.insert(rng.randrange(1, len(words) + 1), inject)
        sentences[i] = " ".join(words)
    paragraphs, current = [], []
    for sentence in sentences:
        current.append(sentence)
        if len(current) >= rng.randint(2, 5):
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return paragraphs


# What an activity is made to trigger, and how often (in percent).
KINDS = ["spam", "abuse", "regex", "sensitive", "topic", "tag", "mentions", "flood", "old",
         "new_account", "unknown_account", "rejected_domain", "loud_domain", "cw_summary",
         "plain"]  # fmt: skip
WEIGHTS = [3, 3, 1, 4, 4, 4, 2, 1, 2, 3, 2, 3, 3, 3, 62]


def make_activity(rng: random.Random, setup: Setup, n: int, now: datetime) -> Incoming:
    # The first activities are one of each kind, so that even a short run sees every verdict.
    kind = KINDS[n] if n < len(KINDS) else rng.choices(KINDS, weights=WEIGHTS)[0]
    domain = f"social{rng.randrange(60)}.example"
    if kind == "rejected_domain":
        domain = rng.choice(setup.reject_domains)
    elif kind == "loud_domain":
        domain = rng.choice(setup.rewrite_domains)
    actor = f"https://{domain}/users/member{rng.randrange(1000)}"
    inject = {
        "spam": lambda: rng.choice(setup.keywords["spam"]),
        "abuse": lambda: rng.choice(setup.keywords["abuse"]),
        "regex": lambda: "just die in a fire",
        "sensitive": lambda: rng.choice(setup.keywords["sensitive"]),
        "topic": lambda: rng.choice(setup.topics),
    }.get(kind, lambda: None)()
    length = int(rng.uniform(200, 2000))
    paragraphs = _text(rng, setup.tail, length, inject)

    mentions = rng.choice([0, 0, 0, 1, 1, 2, 3])
    mentions = {"flood": rng.randint(11, 14), "mentions": rng.randint(6, 9)}.get(kind, mentions)
    mentioned = [(f"peer{rng.randrange(5000)}", f"social{rng.randrange(60)}.example")
                 for _ in range(mentions)]  # fmt: skip
    tags = rng.sample(TAGS, rng.choice([0, 0, 1, 1, 2, 3]))
    if kind == "tag":
        tags.append(rng.choice(setup.hold_tags))
    links = rng.choice([0, 0, 0, 1, 1, 2])
    if kind in ("new_account", "unknown_account"):
        links = max(links, 1)

    html = []
    for i, paragraph in enumerate(paragraphs):
        extra = ""
        if i == 0 and mentioned:
            extra = (
                " ".join(
                    f'<span class="h-card" translate="no"><a href="https://{h}/@{u}" '
                    f'class="u-url mention">@<span>{u}</span></a></span>'
                    for u, h in mentioned
                )
                + " "
            )
        html.append(f"<p>{extra}{paragraph}</p>")
    for k in range(links):
        path = f"{rng.choice(setup.tail)}/{rng.randrange(10**6)}"
        html.append(
            f'<p>See <a href="https://news{k}.example/{path}" target="_blank" '
            f'rel="nofollow noopener noreferrer" translate="no"><span class="invisible">'
            f'https://</span><span class="">news{k}.example/{path}</span>'
            f'<span class="invisible"></span></a></p>'
        )
    if tags:
        html.append("<p>" + " ".join(
            f'<a href="https://{domain}/tags/{t}" class="mention hashtag" rel="tag">'
            f"#<span>{t}</span></a>" for t in tags) + "</p>")  # fmt: skip

    age = timedelta(days=rng.randint(8, 30)) if kind == "old" else timedelta(seconds=n % 300)
    published = (now - age).strftime("%Y-%m-%dT%H:%M:%SZ")
    note_id = f"{actor}/statuses/{uuid.UUID(int=rng.getrandbits(128)).hex}"
    note: dict[str, Any] = {
        "id": note_id,
        "type": "Note",
        "summary": "Long post about a hard week" if kind == "cw_summary" else None,
        "inReplyTo": None,
        "published": published,
        "url": note_id.replace("/users/", "/@"),
        "attributedTo": actor,
        "to": [PUBLIC],
        "cc": [f"{actor}/followers", *(f"https://{h}/users/{u}" for u, h in mentioned)],
        "sensitive": kind == "cw_summary",
        "content": "".join(html),
        "attachment": [],
        "tag": [
            *({"type": "Mention", "href": f"https://{h}/users/{u}", "name": f"@{u}@{h}"}
              for u, h in mentioned),
            *({"type": "Hashtag", "href": f"https://{domain}/tags/{t}", "name": f"#{t}"}
              for t in tags),
        ],
    }  # fmt: skip
    if kind == "loud_domain":
        image = {"type": "Document", "mediaType": "image/png", "name": "a photo",
                 "url": f"https://{domain}/media/{n}.png"}  # fmt: skip
        note["attachment"] = [image]
    doc = {
        "@context": CONTEXT,
        "id": f"{note_id}/activity",
        "type": "Create",
        "actor": actor,
        "published": published,
        "to": note["to"],
        "cc": note["cc"],
        "object": note,
    }
    body = json.dumps(doc).encode()
    parsed = parse_document(json.loads(body))
    if not isinstance(parsed, Activity):
        raise SystemExit(f"activity {n} ({kind}) did not parse: {parsed}")
    if kind == "unknown_account":
        facts = Facts(actor_known=False, actor_created=None)
    elif kind == "new_account":
        facts = Facts(actor_known=True, actor_created=now - timedelta(days=2))
    else:
        facts = Facts(actor_known=True, actor_created=now - timedelta(days=rng.randint(30, 2000)))
    # What the post was made to trigger: a post with its own content warning triggers nothing.
    return Incoming(parsed, body, facts, "" if kind in ("plain", "cw_summary") else kind)


# --- measuring ----------------------------------------------------------------------------


def _summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_us": round(statistics.median(ordered) * 1e6, 2),
        "p95_us": round(ordered[int(0.95 * (len(ordered) - 1))] * 1e6, 2),
        "mean_us": round(statistics.fmean(ordered) * 1e6, 2),
    }


def signed_requests(
    incoming: list[Incoming], now: datetime
) -> tuple[list[SignedRequest], dict[str, PublicKeyInfo]]:
    """Each activity's body signed by its sender as Mastodon signs (draft-cavage rsa-sha256
    over (request-target) host date digest), with a resolver answering from memory."""
    keys = [generate_rsa_keypair() for _ in range(SIGNING_ACTORS)]
    infos: dict[str, PublicKeyInfo] = {}
    signers = []
    for i, (private, public) in enumerate(keys):
        owner = f"https://sender{i}.example/users/member{i}"
        infos[f"{owner}#main-key"] = PublicKeyInfo(f"{owner}#main-key", owner, public)
        signers.append(CavageSigner(f"{owner}#main-key", private, lambda: now))
    url = f"https://{INBOX_HOST}{INBOX_PATH}"
    requests = []
    for n, item in enumerate(incoming):
        headers = {"Content-Type": "application/activity+json", "User-Agent": "Mastodon/4.4"}
        headers.update(signers[n % len(signers)].sign("POST", url, dict(headers), item.body))
        requests.append(SignedRequest("POST", INBOX_PATH, list(headers.items()), item.body))

    return requests, infos


@dataclass
class Samples:
    """Seconds per activity (or per request), every round's together."""

    subject_and_chain: list[float] = field(default_factory=list)
    chain: list[float] = field(default_factory=list)
    signature: list[float] = field(default_factory=list)
    rsa: list[float] = field(default_factory=list)


def measure(
    chain: Chain,
    incoming: list[Incoming],
    requests: list[SignedRequest],
    infos: dict[str, PublicKeyInfo],
    rounds: int,
    now: datetime,
) -> tuple[Samples, list[Verdict]]:
    """The chain and the signature checks in turn in every round, so that whatever else the
    machine is doing weighs on both alike."""
    clock = time.perf_counter
    subjects: list[Subject] = [replace(subject_of(i.activity), facts=i.facts) for i in incoming]
    verdicts = [chain.evaluate(s, now) for s in subjects]  # and a warm-up
    # The RSA operation alone, for scale: the signing strings and keys made ready up front.
    raw = []
    for req in requests:
        sig = parse_signature_header(req.header("signature") or "")
        key = load_public_key(infos[sig.key_id].public_key_pem)
        raw.append((key, sig.signature, build_signing_string(req, sig).encode()))
    pkcs1, sha256 = padding.PKCS1v15(), hashes.SHA256()
    samples = Samples()

    async def resolve(key_id: str, refresh: bool) -> PublicKeyInfo | None:
        return infos.get(key_id)  # the key from memory: no network, no database

    async def signatures(out: list[float]) -> None:
        for req in requests:
            start = clock()
            result = await verify_request(req, resolve_key=resolve, now=now)
            out.append(clock() - start)
            if not result.ok:
                raise SystemExit(f"a signature did not verify: {result.reason} {result.detail}")

    async def run() -> None:
        for item in incoming:  # warm-up
            subject_of(item.activity)
        await signatures([])  # warm-up: the public keys are loaded once, as in the server
        for _ in range(rounds):
            gc.collect()
            for item in incoming:
                activity, facts = item.activity, item.facts
                start = clock()
                chain.evaluate(replace(subject_of(activity), facts=facts), now)
                samples.subject_and_chain.append(clock() - start)
            gc.collect()
            for subject in subjects:
                start = clock()
                chain.evaluate(subject, now)
                samples.chain.append(clock() - start)
            # Every request the inbox sees carries a new Signature header: start each round
            # with the header cache empty, as for requests never seen before.
            parse_signature_header.cache_clear()
            gc.collect()
            await signatures(samples.signature)
            for key, signature, message in raw:
                start = clock()
                key.verify(signature, message, pkcs1, sha256)
                samples.rsa.append(clock() - start)

    asyncio.run(run())
    return samples, verdicts


def run(rounds: int, count: int, seed: int) -> dict[str, object]:
    started = time.perf_counter()
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    setup = policy_file(rng)
    parse_start = time.perf_counter()
    chain = parse_file(setup.text)
    parse_ms = (time.perf_counter() - parse_start) * 1e3
    if len(chain.policies) != 10:
        raise SystemExit(f"expected 10 policies, the file has {len(chain.policies)}")
    incoming = [make_activity(rng, setup, n, now) for n in range(count)]
    lengths = sorted(len(subject_of(i.activity).content) for i in incoming)

    requests, infos = signed_requests(incoming, now)
    samples, verdicts = measure(chain, incoming, requests, infos, rounds, now)
    actions = Counter(str(v.action) for v in verdicts)
    by_policy = Counter(v.policy for v in verdicts if v.policy)
    if len(actions) < 4:  # accept, reject, hold and rewrite must all occur
        raise SystemExit(f"the activities do not exercise the chain: {dict(actions)}")
    missed = Counter(i.expect for i, v in zip(incoming, verdicts, strict=True)
                     if i.expect and str(v.action) == "accept")  # fmt: skip

    chain_us, full_us = _summary(samples.chain), _summary(samples.subject_and_chain)
    sig_us = _summary(samples.signature)
    return {
        "benchmark": "policies",
        **setup.counts,
        "activities": count,
        "rounds": rounds,
        "seed": seed,
        "content_chars": {
            "min": lengths[0],
            "median": lengths[len(lengths) // 2],
            "max": lengths[-1],
        },
        "parse_file_ms": round(parse_ms, 1),
        "verdicts": dict(sorted(actions.items())),
        "by_policy": dict(sorted(by_policy.items())),
        "unmatched_injections": dict(missed),
        "chain": chain_us,
        "subject_and_chain": full_us,
        "signature_verify": sig_us,
        "rsa_verify_only": _summary(samples.rsa),
        "ratio_chain": round(chain_us["median_us"] / sig_us["median_us"], 3),
        "ratio_subject_and_chain": round(full_us["median_us"] / sig_us["median_us"], 3),
        "seconds": round(time.perf_counter() - started, 1),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }


def report(result: dict[str, Any]) -> None:
    def line(label: str, s: dict[str, float]) -> str:
        return (f"  {label:<34} median {s['median_us']:8.1f} µs   p95 {s['p95_us']:8.1f} µs"
                f"   mean {s['mean_us']:8.1f} µs")  # fmt: skip

    out = sys.stderr
    print(f"policies {result['policies']}, keywords {result['keywords']} (+{result['regexes']} "
          f"regexes), activities {result['activities']} x {result['rounds']} rounds, "
          f"text {result['content_chars']['min']}-{result['content_chars']['max']} chars",
          file=out)  # fmt: skip
    print(f"  verdicts: {result['verdicts']}", file=out)
    print(f"  deciding policy: {result['by_policy']}", file=out)
    print(line("chain.evaluate", result["chain"]), file=out)
    print(line("subject_of + chain.evaluate", result["subject_and_chain"]), file=out)
    print(line("verify_request (cavage, RSA-2048)", result["signature_verify"]), file=out)
    print(line("  of which the RSA operation", result["rsa_verify_only"]), file=out)
    print(f"  ratio (medians): chain / signature {result['ratio_chain']:.3f}, "
          f"subject_of + chain / signature {result['ratio_subject_and_chain']:.3f}",
          file=out, flush=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=20, help="passes over the activities")
    parser.add_argument("--activities", type=int, default=300, help="distinct activities")
    parser.add_argument("--seed", type=int, default=1, help="for the generated file and posts")
    args = parser.parse_args()
    if args.rounds < 1 or args.activities < 20:
        parser.error("--rounds must be at least 1 and --activities at least 20")
    result = run(args.rounds, args.activities, args.seed)
    report(result)
    emit(result)


if __name__ == "__main__":
    main()
