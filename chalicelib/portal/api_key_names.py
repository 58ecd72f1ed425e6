"""The format of public API keys: a key made now names its partner, so a process that has not
verified it yet reads its record together with that partner's customer and list sizes.

A public key made now is the company id (32 hex digits) then 16 random hex digits, 48 in all;
keys made before are 32 hex digits and name no one (their record alone tells the partner). The
vendor's contract only asks for `Basic publicKey:secretKey`, so the format is ours.
"""

from __future__ import annotations

import re

from chalicelib.runtime import Runtime

NAMED_KEY = re.compile(r"(?P<company>[0-9a-f]{32})[0-9a-f]{16}", re.ASCII)
RANDOM_BYTES = 8  # 16 hex digits after the company id


def partner_named(public_key: str) -> str | None:
    """The company a public key names (None: a key of the format before, naming no one)."""
    named = NAMED_KEY.fullmatch(public_key)
    return None if named is None else named["company"]


def new_public_key(rt: Runtime, company_id: str, chosen: str | None = None) -> str:
    """A new public key naming its company, or `chosen` (which may not name another company);
    a company id that is not 32 hex digits (some fixtures') gets a key of the format before."""
    if chosen is not None:
        if partner_named(chosen) not in (None, company_id):
            raise ValueError("A public key names the company it belongs to.")
        return chosen
    named = company_id + rt.random.hex(RANDOM_BYTES)
    return named if partner_named(named) == company_id else rt.random.hex(16)
