"""Who reads what the other side wrote: the data flows behind each direction.

A field's writer and reader (host, guest, both, none) say which way its bytes
travel. In the **backward** direction the host runs the new layout and the guest
the old one, so host→guest bytes are written under the new layout and read under
the old (``NEW_TO_OLD``), and guest→host bytes the other way round
(``OLD_TO_NEW``). In the **forward** direction the roles swap. A change endangers
a direction only if a flow it breaks occurs in that direction: a moved field
breaks both kinds; a field carved out of space the old writer never promised to
zero breaks ``OLD_TO_NEW`` (the new reader meets garbage); a removed field breaks
``NEW_TO_OLD`` (the old reader still reads bytes nobody writes).
"""

from __future__ import annotations

from collections.abc import Iterable

from .findings import BREAKING, COMPATIBLE, DIRECTIONS, Direction, severities

OLD_TO_NEW, NEW_TO_OLD = "old-to-new", "new-to-old"
BOTH = frozenset({OLD_TO_NEW, NEW_TO_OLD})

# direction -> (version the host runs, version the guest runs)
_SIDES = {"backward": ("new", "old"), "forward": ("old", "new")}


def _parties(word: str) -> set[str]:
    return {"host", "guest"} if word == "both" else (set() if word == "none" else {word})


def flows_in(direction: str, writers: Iterable[str], readers: Iterable[str]) -> set[str]:
    """The flow kinds that occur in ``direction`` for a field with these writers and readers.

    ``writers``/``readers`` are party words as declared (several when the two
    versions declare different ones; the union is the conservative answer).
    """
    w = set().union(*(_parties(x) for x in writers)) if writers else set()
    r = set().union(*(_parties(x) for x in readers)) if readers else set()
    host_runs, guest_runs = _SIDES[direction]
    version_of = {"host": host_runs, "guest": guest_runs}
    out = set()
    for writer in w:
        for reader in r:
            if writer == reader:
                continue  # one party reads its own bytes with its own layout
            out.add(OLD_TO_NEW if version_of[writer] == "old" else NEW_TO_OLD)
    return out


def judge(breaks: Iterable[str], writers: Iterable[str], readers: Iterable[str],
          otherwise: str = COMPATIBLE) -> tuple[tuple[str, str], ...]:
    """Severity per direction: breaking where a flow kind in ``breaks`` occurs."""
    wanted = set(breaks)
    writers, readers = tuple(writers), tuple(readers)
    verdict = {d: BREAKING if flows_in(d, writers, readers) & wanted else otherwise for d in DIRECTIONS}
    return severities(verdict[Direction.BACKWARD], verdict[Direction.FORWARD])


def flow_parties(direction: str, flow: str, writers: Iterable[str], readers: Iterable[str]
                 ) -> tuple[str, str] | None:
    """(writer party, reader party) through which ``flow`` occurs in ``direction``; None when it does not."""
    host_runs, _ = _SIDES[direction]
    write_version = "old" if flow == OLD_TO_NEW else "new"
    writer = "host" if host_runs == write_version else "guest"
    reader = "guest" if writer == "host" else "host"
    w = set().union(*(_parties(x) for x in writers)) if writers else set()
    r = set().union(*(_parties(x) for x in readers)) if readers else set()
    return (writer, reader) if writer in w and reader in r else None
