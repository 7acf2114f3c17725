"""Where a ``Background`` effect's flow runs: a few threads of the library's own (sync)
or tracked tasks on the loop (async), one per key at a time, each within a deadline of
its own, its errors logged and never raised, and waited for when the service closes.

Only the runners use these (``sync_runner.py``, ``async_runner.py``): what a background
flow does is decided in the flows (a refresh-ahead revalidation: ``lookup.py``).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Awaitable, Callable

from okta_session_mw.engine.deadline import request_deadline
from okta_session_mw.engine.effects import Background

__all__ = ["DEFAULT_DEADLINE", "BackgroundTasks", "BackgroundThreads"]

logger = logging.getLogger("okta_session_mw")

DEFAULT_DEADLINE = 5.0
"""A background flow's deadline when its runner has no ``bound`` (a client used
directly): the config's default ``timeout``."""
THREADS = 2
"""Background flows of the sync runner at once: a revalidation is one short Okta call."""
QUEUED = 64
"""Background flows waiting for a thread; one more is dropped (its entry is still fresh,
and a later request in its window starts it again)."""
_STOP = object()


class BackgroundThreads:
    """The sync runner's background flows: at most ``THREADS`` at once (threads started
    on first use), ``QUEUED`` waiting; ``run`` is the runner's own."""

    def __init__(self, run: Callable[[Background], object], deadline: float) -> None:
        self._run, self._deadline = run, deadline
        self._lock = threading.Lock()
        self._keys: set[str] = set()
        self._queue: queue.Queue[object] = queue.Queue(QUEUED)
        self._threads: list[threading.Thread] = []

    def start(self, effect: Background) -> None:
        with self._lock:
            if effect.key in self._keys:
                effect.flow.close()
                return
            try:
                self._queue.put_nowait(effect)
            except queue.Full:  # dropped: the entry is still fresh
                effect.flow.close()
                return
            self._keys.add(effect.key)
            if len(self._threads) < THREADS:
                thread = threading.Thread(
                    target=self._work, name="okta-session-mw-background", daemon=True
                )
                self._threads.append(thread)
                thread.start()

    def close(self) -> None:
        """Drop the flows still queued, wait for the running ones (each bounded by its
        deadline), then stop the threads (they start again on next use)."""
        with self._lock:
            threads, self._threads = self._threads, []
            while True:
                try:
                    queued = self._queue.get_nowait()
                except queue.Empty:
                    break
                assert isinstance(queued, Background)
                queued.flow.close()
                self._keys.discard(queued.key)
            for _ in threads:
                self._queue.put_nowait(_STOP)
        for thread in threads:
            thread.join()

    def _work(self) -> None:
        while (effect := self._queue.get()) is not _STOP:
            assert isinstance(effect, Background)
            try:
                with request_deadline(self._deadline):
                    self._run(effect)
            except Exception:
                logger.exception("okta_session_mw: a background revalidation failed")
            finally:
                with self._lock:
                    self._keys.discard(effect.key)


class BackgroundTasks:
    """The async runner's background flows: one task per key, kept referenced until
    done, not the request's (its cancellation does not reach them)."""

    def __init__(self, run: Callable[[Background], Awaitable[object]], deadline: float) -> None:
        self._run, self._deadline = run, deadline
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def start(self, effect: Background) -> None:
        if effect.key in self._tasks:
            effect.flow.close()
            return
        task = asyncio.get_running_loop().create_task(self._detached(effect))
        self._tasks[effect.key] = task
        task.add_done_callback(lambda done: self._forget(effect.key, done))

    async def _detached(self, effect: Background) -> None:
        try:
            with request_deadline(self._deadline):  # its own, not the request's
                await self._run(effect)
        except Exception:
            logger.exception("okta_session_mw: a background revalidation failed")

    def _forget(self, key: str, task: asyncio.Task[None]) -> None:
        if self._tasks.get(key) is task:
            del self._tasks[key]

    async def aclose(self) -> None:
        """Wait for the running flows (each bounded by its deadline); cancel what is
        left after that."""
        tasks = list(self._tasks.values())
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=self._deadline + 1.0)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)
