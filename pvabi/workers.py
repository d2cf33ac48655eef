"""``--jobs``: work spread over processes, its results handed back in the order of the work.

``pvabi fuzz`` and ``pvabi check-images`` split their work into independent
items and merge the results in item order, so the number of processes changes
the speed and never the output. Processes are spawned, not forked: a fork
copies whatever the parent holds (a loaded ABI, a corpus listing) and is not
safe in a parent with threads. Each process is set up once by ``init`` (it
loads the ABI it needs there, once) and then runs item after item; an item and
its result cross the process boundary by pickling, so both should be small
plain data: a path, a seed, a count.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from .errors import InputError

MAX_JOBS = 64

Item = TypeVar("Item")
Result = TypeVar("Result")


def check_jobs(jobs: int) -> None:
    """Refuse a process count no machine means (0, negative, or more than ``MAX_JOBS``)."""
    if not 1 <= jobs <= MAX_JOBS:
        raise InputError(f"--jobs must be 1..{MAX_JOBS}, not {jobs}")


def in_order(run: Callable[[Item], Result], items: Iterable[Item], jobs: int,
             init: Callable[..., None], init_args: tuple[Any, ...], chunksize: int = 1) -> Iterator[Result]:
    """``run(item)`` for every item in ``jobs`` spawned processes, each set up once by ``init(*init_args)``.

    Results come back one at a time in the order of ``items`` (a consumer can merge them as they arrive
    without holding them all); leaving the iteration early, or an exception in a worker, stops the pool.
    ``run`` and ``init`` must be module-level functions (a spawned process imports them by name).
    """
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(jobs, init, init_args) as pool:
        yield from pool.imap(run, items, chunksize)


def chunk_size(items: int, jobs: int) -> int:
    """Items a worker takes at a time: a few chunks per process keep both busy to the end, and chunks of
    many small items spare a round trip per item. Only the speed depends on it."""
    return max(1, min(64, items // (jobs * 4)))
