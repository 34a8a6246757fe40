"""Registered Zoho organisations' keys, kept in memory by each REST shim process so that a
webhook's 202 does not wait for a lookup of them.

Nothing trusts a kept copy alone: each event is stored only while the organisation's row
still has the stamp the copy was taken with (crmgraph.zoho.orgs.unchanged, inside the
insert of crmgraph.zoho.inbound). A copy found stale there is dropped, the keys are read
again and the delivery is verified with them (as is one the copy does not verify: it may
be signed with a new secret), so a secret changed or an organisation
removed (by this process, another one or the CLI) is refused from the first delivery after
the change's commit. Unregistered organisations are never kept (looked up every time), and
at most MAX_ORGS registered ones (the least recently used go first). SQLite gives no stamp:
nothing is kept there, every delivery reads its keys.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.zoho import orgs

MAX_ORGS = 10_000


class KeyCache:
    def __init__(self, sessions: Callable[[], AsyncSession], max_orgs: int = MAX_ORGS) -> None:
        self._sessions = sessions
        self._max = max_orgs
        self._kept: OrderedDict[str, orgs.Registered] = OrderedDict()

    def kept(self, org_id: str) -> orgs.Registered | None:
        """The kept copy of org_id's tenant and keys, if any."""
        found = self._kept.get(org_id)
        if found is not None:
            self._kept.move_to_end(org_id)
        return found

    async def read(self, org_id: str) -> orgs.Registered | None:
        """org_id's tenant and keys read from the database now (replacing any kept copy)."""
        self._kept.pop(org_id, None)
        async with self._sessions() as session:
            found = await orgs.find_stamped(session, org_id)
        if found is not None and found.stamp is not None:
            self._kept[org_id] = found
            while len(self._kept) > self._max:
                self._kept.popitem(last=False)
        return found
