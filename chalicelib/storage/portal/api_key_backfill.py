"""Stamps for REST API keys made before their partner's access item held them.

A call with a stamped key is admitted by one conditional write on its partner's access item; a
live key made before stamps has none, so its record is read with every call it makes, until this
upgrade stamps it. It Scans (a one-off upgrade, never a request path) and is idempotent. Each
stamp is written in one transaction that checks the key record is still live, of that company and
with the very scope the stamp digests, and sets the stamp only where none is yet: a key revoked
or re-scoped meanwhile never gets a stamp that would let it in.
"""

from __future__ import annotations

from functools import partial

from pynamodb.expressions.operand import Path, Value

from chalicelib import settings
from chalicelib.storage import tables
from chalicelib.storage.base import translated
from chalicelib.storage.portal import api_usage
from chalicelib.storage.portal.api_keys import ApiKey, ApiKeyModel, get_api_key, key_stamp
from chalicelib.storage.transactions import Transaction, write_transaction

# Times a key whose record changed under the upgrade is read again before it is left unstamped.
ATTEMPTS = 3
STAMP = 1  # the stamp's position in the transaction (after the record's check)


def stamp_unstamped() -> int:
    """Give every live key without a stamp the stamp of its record; returns how many."""
    m = ApiKeyModel
    with translated():
        live = [(k.company_id, k.public_key)
                for k in m.scan(filter_condition=m.revoked_at.does_not_exist())]
    return sum(_stamp(public_key) for company_id, public_key in live
               if not api_usage.has_stamp(company_id, public_key))


def _stamp(public_key: str) -> int:
    """1 when the key was stamped; 0 when it is revoked, gone or stamped by someone else."""
    for _ in range(ATTEMPTS):
        key = get_api_key(public_key, consistent=True)
        if key is None or key.revoked_at is not None:
            return 0
        failed = write_transaction(partial(stamp_in, key=key))
        if not failed:
            return 1
        if STAMP in failed:
            return 0  # stamped meanwhile, by a scope change of the key itself
    return 0


def stamp_in(tx: Transaction, key: ApiKey) -> None:
    """Within `tx`: the key's stamp, set only if the record is still exactly `key` and live,
    and only if the access item has no stamp for it yet."""
    m = ApiKeyModel
    scope = (m.customers.does_not_exist() if key.customers is None
             else m.customers == set(key.customers))
    tx.condition_check(m, key.public_key, condition=(m.company_id == key.company_id)
                       & m.revoked_at.does_not_exist() & scope)
    stamp = Path([api_usage.stamp_name(key.public_key)])
    tx.update(api_usage.ApiUsageModel(key.company_id, api_usage.ACCESS),
              actions=[stamp.set(Value({"S": key_stamp(key.company_id, key.public_key,
                                                        key.customers)}))],
              condition=stamp.does_not_exist())


def main() -> None:
    """`python -m chalicelib.storage.portal.api_key_backfill`: upgrade the stage named."""
    tables.configure(settings.from_environment())
    print(f"{stamp_unstamped()} API keys given their stamps")


if __name__ == "__main__":
    main()
