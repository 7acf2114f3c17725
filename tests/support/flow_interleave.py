"""Several flows of the engine at once, interleaved by hand: one effect per flow per turn.

The ``Stepper`` runs one flow to its end (another may only run "inside" an Okta call);
``Interleaving`` runs several side by side, as concurrent requests are, in an order
the test states: flows start at a turn of its choosing, and each Okta call answers
after ``latency`` turns of its flow, while the others go on. Single flight is as the
runners do it: a flow that finds a ``Share`` key running waits for that flow's result
(``follow_for`` None: None at once). A ``Background`` flow runs as a task of its own
from the next turn on, named ``background <key>``, unless one for its key is still running
(then it is closed unrun), as the runners do. The cache, the claims and the sleeps are
the ``Stepper``'s; no I/O, no threads.

``events`` is what happened, in order: ``"<name> sends <operation>"``,
``"<name> answered <operation>"``, ``"<name> joins <key>"``, ``"<name> returned"``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from okta_session_mw.engine.effects import Background, Flow, Send, Share, step
from tests.support.flow_steps import OktaCall, Stepper, answer, okta_call

__all__ = ["Interleaving"]

MAX_TURNS = 10_000
"""A flow still running after this many turns is a bug of the flow (or of the test)."""


@dataclass
class _Task:
    name: str
    frames: list[tuple[Flow[Any], str | None]]  # a flow, and the Share key it runs for others
    start: int
    value: Any = None
    error: BaseException | None = None
    following: str | None = None
    held: int = 0
    call: OktaCall | None = None
    finished: bool = False


@dataclass
class Interleaving:
    """Runs flows side by side against ``stepper``'s cache and Okta; ``latency`` says
    how many of its flow's turns each Okta call takes (at least 1)."""

    stepper: Stepper
    latency: Callable[[OktaCall], int] = lambda call: 1
    events: list[str] = field(default_factory=list)
    outcomes: dict[str, Any] = field(default_factory=dict)
    _tasks: list[_Task] = field(default_factory=list)
    _running: dict[str, _Task] = field(default_factory=dict)

    def start(self, name: str, flow: Flow[Any], *, at: int = 0) -> None:
        """Run ``flow`` as ``name`` from turn ``at`` on."""
        self._tasks.append(_Task(name, [(flow, None)], at))

    def run(self) -> dict[str, Any]:
        """Turn until every flow has returned: each one's result (or what it raised)."""
        for turn in range(MAX_TURNS):
            live = [task for task in self._tasks if not task.finished]
            if not live:
                return self.outcomes
            for task in live:
                if task.start <= turn and task.following is None:
                    self._turn(task)
        raise AssertionError(f"flows still running after {MAX_TURNS} turns: {self.events}")

    def _turn(self, task: _Task) -> None:
        if task.held:  # its Okta call is under way
            task.held -= 1
            if task.held:
                return
            self._answer(task)
        flow, _ = task.frames[-1]
        value, error = task.value, task.error
        task.value, task.error = None, None
        try:
            done, effect = step(flow, value, error)
        except Exception as exc:
            self._end_frame(task, exc, failed=True)
            return
        if done:
            self._end_frame(task, effect, failed=False)
        elif isinstance(effect, Send):
            task.call = okta_call(effect.request)
            self.stepper.calls.append(task.call.operation)
            self.events.append(f"{task.name} sends {task.call.operation}")
            task.held = max(1, self.latency(task.call))
        elif isinstance(effect, Share):
            self._share(task, effect)
        elif isinstance(effect, Background):
            self._background(effect)
        else:
            try:
                task.value = self.stepper.perform(effect)
            except Exception as exc:  # thrown into the flow, as a runner does
                task.error = exc

    def _answer(self, task: _Task) -> None:
        assert task.call is not None
        self.events.append(f"{task.name} answered {task.call.operation}")
        try:
            task.value = answer(self.stepper.okta(task.call))
        except Exception as exc:
            task.error = exc

    def _background(self, effect: Background) -> None:
        name = f"background {effect.key}"
        if any(task.name == name and not task.finished for task in self._tasks):
            effect.flow.close()
            return
        self._tasks.append(_Task(name, [(effect.flow, None)], 0))

    def _share(self, task: _Task, effect: Share) -> None:
        if effect.key in self._running:
            effect.flow.close()
            if effect.follow_for is not None:
                self.events.append(f"{task.name} joins {effect.key}")
                task.following = effect.key
            return
        self._running[effect.key] = task
        task.frames.append((effect.flow, effect.key))

    def _end_frame(self, task: _Task, outcome: Any, *, failed: bool) -> None:
        _, key = task.frames.pop()
        if key is not None:  # the followers get what the flow they joined got
            del self._running[key]
            for other in self._tasks:
                if other.following == key:
                    other.following = None
                    self._deliver(other, outcome, failed)
        if task.frames:
            self._deliver(task, outcome, failed)
            return
        task.finished = True
        self.outcomes[task.name] = outcome
        self.events.append(f"{task.name} returned")

    @staticmethod
    def _deliver(task: _Task, outcome: Any, failed: bool) -> None:
        if failed:
            task.error = outcome
        else:
            task.value = outcome
