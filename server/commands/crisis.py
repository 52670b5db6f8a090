"""``peerhaven crisis check [--lang L] TEXT``: what the crisis detector makes of a text (its
level, whether it holds or seeks method details, the evidence); ``-`` reads one text per
line from standard input and prints one JSON object per line."""

from __future__ import annotations

import argparse
import json
import sys

from moderation.crisis.detector import Detector
from moderation.crisis.lexicon import LexiconError, load_lexicons
from server.commands.common import add_data_dir_argument, settings_from_args
from server.errors import CommandError

NAME = "crisis"
HELP = "check texts with the crisis detector"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="crisis_command", metavar="ACTION", required=True)
    check = sub.add_parser("check", help="the level, method flag and evidence of a text")
    check.add_argument("text", help="the text, or - to read one text per line from stdin")
    check.add_argument("--lang", choices=("en", "es", "de", "fr", "pt"), help="default: detected")
    add_data_dir_argument(check)


def run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    try:
        # The instance's own phrase files (DATA_DIR/crisis/LANG.json) add to the shipped ones.
        detector = Detector(load_lexicons(settings.data_dir / "crisis"))
    except LexiconError as exc:
        raise CommandError(f"crisis phrase file: {exc}") from None
    if args.text == "-":
        for line in sys.stdin:
            if line.strip():
                result = detector.check(line.rstrip("\n"), args.lang)
                print(json.dumps(result.as_json(), ensure_ascii=False), flush=True)
        return 0
    result = detector.check(args.text, args.lang)
    print(f"level: {result.level}")
    print(f"method: {'yes' if result.method else 'no'}")
    print(f"lang: {result.lang}")
    print("evidence: " + ("; ".join(result.evidence) if result.evidence else "(none)"))
    return 0
