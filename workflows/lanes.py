"""Lane → role resolution.

A BPMN lane names a role, either by its code (``principal``) or by one of the role's display
names (``校长``). At run time the role resolves against the instance's school by walking up the
organisation tree to the nearest org that has someone holding that role. The walk itself is pure:
the caller supplies the chain of org ids and a predicate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TypeVar

OrgId = TypeVar("OrgId")


class LaneRoleMap:
    """Maps lane names to role codes using the codes themselves plus display-name aliases."""

    def __init__(self, aliases: Mapping[str, Iterable[str]]):
        self._by_name: dict[str, str] = {}
        for code, names in aliases.items():
            self._by_name[code] = code
            for name in names:
                self._by_name[name.strip()] = code

    def role_for(self, lane: str | None) -> str | None:
        """The role code a lane names, or None for an unknown or missing lane."""
        if not lane:
            return None
        return self._by_name.get(lane.strip())

    def unknown(self, lanes: Iterable[str]) -> list[str]:
        return sorted(lane for lane in lanes if self.role_for(lane) is None)


def nearest_org_with_role(chain: Sequence[OrgId], role: str,
                          has_role: Callable[[OrgId, str], bool]) -> OrgId | None:
    """Walk ``chain`` (the school first, then its ancestors) and return the first org with ``role``."""
    for org in chain:
        if has_role(org, role):
            return org
    return None
