"""Where our actors and their collections live, derived from the public base URL.

Groups live at ``/groups/SLUG`` (also their HTML page, by content negotiation), staff at
``/users/NAME``, the instance actor at ``/actor``. Key ids are ``ACTOR#main-key`` as Mastodon's.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

INSTANCE_ACTOR_USERNAME = "instance.actor"
_PREFIX = {"Group": "groups", "Person": "users"}


@dataclass(frozen=True)
class LocalUrls:
    base_url: str

    @property
    def domain(self) -> str:
        return urlsplit(self.base_url).netloc

    def actor(self, kind: str, username: str) -> str:
        if kind == "Application":
            return f"{self.base_url}/actor"
        return f"{self.base_url}/{_PREFIX[kind]}/{username}"

    def key_id(self, actor_id: str) -> str:
        return f"{actor_id}#main-key"

    def shared_inbox(self) -> str:
        return f"{self.base_url}/inbox"

    def is_local(self, uri: str) -> bool:
        return uri == self.base_url or uri.startswith(self.base_url + "/")

    def parse_actor(self, uri: str) -> tuple[str, str] | None:
        """``(kind, username)`` of a local actor id (fragment ignored), else ``None``."""
        if not self.is_local(uri):
            return None
        path = uri[len(self.base_url) :].split("#", 1)[0]
        if path == "/actor":
            return ("Application", INSTANCE_ACTOR_USERNAME)
        parts = path.strip("/").split("/")
        if len(parts) == 2:
            for kind, prefix in _PREFIX.items():
                if parts[0] == prefix and parts[1]:
                    return (kind, parts[1])
        return None

    def new_activity_id(self, actor_id: str, kind: str, token: str) -> str:
        return f"{actor_id}/activities/{kind.lower()}/{token}"
