"""Page addresses. Leaders bookmark rep pages, so a URL depends only on the CRM's id, never on a name."""

from __future__ import annotations

import hashlib
import re

# File names are at most 255 bytes on common file systems: a slug stays far below that.
MAX_PLAIN = 64


def rep_slug(rep_id: str) -> str:
    """A URL slug that depends only on rep_id: bookmarks survive name changes and new reps.

    Ids that are already lower-case URL-safe (and not absurdly long) are used as they are; any
    other id gets a short hash of the exact id, so ids differing only in case (Salesforce) never
    collide and a 300-character id still makes a valid file name.
    """
    base = re.sub(r"[^a-z0-9]+", "-", rep_id.lower()).strip("-")
    if base and base == rep_id and len(base) <= MAX_PLAIN:
        return base
    digest = hashlib.sha1(rep_id.encode("utf-8")).hexdigest()[:8]
    return f"{base[:40] or 'rep'}-{digest}"


def team_slug(team: str) -> str:
    """Team names are for people, so case is ignored ("Northeast" -> northeast/); anything else
    that the slug cannot carry (punctuation, non-Latin letters) adds a hash of the exact name."""
    base = re.sub(r"[^a-z0-9]+", "-", team.lower()).strip("-")
    if base and base == team.lower() and len(base) <= MAX_PLAIN:
        return base
    return f"{base[:40] or 'team'}-{hashlib.sha1(team.encode('utf-8')).hexdigest()[:8]}"
