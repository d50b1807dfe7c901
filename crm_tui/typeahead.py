"""Type-ahead: every key reaches the widget the screen says has it, in the order typed.

Textual hands a key read from the terminal to the widget focused at that
moment, and goes on to the next key at once. But the keys that move the
focus or change the screen act later: Tab travels up from the focused field
through each parent's message queue before the app moves the focus; Enter
on a list posts a message that opens the next screen; a new screen or form
composes and mounts in its own task and focuses its first field after that;
Ctrl+S (a priority key) saves at once, while the characters typed before it
may still wait in the field's queue. When the app is held up for a moment
(a busy processor, a query waiting for a lock), the keys typed meanwhile
are read together, and each lands where the focus was when it was read:
text in the field before the one Tab was going to, on a screen with no
focus yet (where it is dropped), or after the save.

So the app holds every key (and paste) it reads, in order, and gives one to
Textual's own dispatch only once the effects of the one before have settled:
the current screen is mounted, the app, the screen and the focused widget
with its parents have handled every message waiting for them (Tab has
moved the focus, Enter has opened what it opens, the new screen has moved
its focus to its first field), and the
focused widget and its parents say they are ready for it
(`ready_for_key(key)`: a list still counting, or loading the row under its
cursor, is not, but for "/" and Escape; a sign-in being checked is not). A key is held at most `HOLD_LIMIT` seconds, so a
database that hangs does not take the keyboard with it.

The waiting runs in a task of its own; each key is then handed to Textual
in the app's own task, exactly as Textual would have handled it. Text
typed into the focused box goes on in one go (it cannot move the focus),
so typing is not slowed down to one screen refresh per character.
"""
from __future__ import annotations

import asyncio
import sys
from collections import deque
from time import monotonic
from typing import Awaitable, Callable

from textual import events
from textual.app import App
from textual.dom import DOMNode
from textual.message_pump import MessagePump
from textual.widgets import Input

# Longest a key waits for a screen that does not get ready.
HOLD_LIMIT = 10.0
# How often readiness is looked at again while a list loads.
POLL_SECONDS = 0.02
# Longest one round through the widgets' queues may take before looking again.
ROUND_TIMEOUT = 5.0
# Rounds after which the app counts as settled even if messages keep coming
# (an animation); each round lets everything queued before it be handled.
MAX_ROUNDS = 20


def is_ready(node: DOMNode, key: str) -> bool:
    """What `node.ready_for_key(key)` says; True for a node without one."""
    ready = getattr(node, "ready_for_key", None)
    return True if ready is None else bool(ready(key))


def _has_waiting_messages(node: MessagePump) -> bool:
    # A message taken off the queue to be looked at before it is handled
    # waits in _pending_message (Textual's MessagePump).
    return node.message_queue_size > 0 or getattr(node, "_pending_message", None) is not None


class TypeAhead:
    """The app's held keys; see the module's description.

    `receive(event)` holds a key or paste read from the terminal;
    `dispatch(event)` (the app's) hands one to Textual in the app's task.
    """

    def __init__(self, app: App, dispatch: Callable[[events.Event], Awaitable[None]]):
        self.app = app
        self.dispatch = dispatch
        self._held: deque[events.Event] = deque()
        self._arrived = asyncio.Event()
        self._delivering = False
        self._task: asyncio.Task | None = None

    # ----- the app's side -------------------------------------------------
    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._deliver_held(), name="type-ahead")

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def receive(self, event: events.Event) -> None:
        """Hold a key (or paste) read from the terminal until its turn."""
        self._held.append(event)
        self._arrived.set()

    @property
    def idle(self) -> bool:
        """No key is held nor being handed over."""
        return not self._held and not self._delivering

    # ----- the waiting task -----------------------------------------------
    async def _deliver_held(self) -> None:
        while True:
            await self._arrived.wait()
            while self._held:
                self._delivering = True
                try:
                    await self._until_ready(self._held[0])
                except asyncio.CancelledError:
                    raise
                except Exception as error:  # never lose the keyboard over it
                    self.app.log.error("type-ahead:", error)
                batch = [self._held.popleft()]
                # Text for the focused box goes in one go, as fast as it was
                # typed: it cannot move the focus, so nothing to wait for.
                while (self._held and self._is_text_for_focus(batch[0])
                       and self._is_text_for_focus(self._held[0])):
                    batch.append(self._held.popleft())
                await self._hand_over(batch)
                self._delivering = False
            self._arrived.clear()

    async def _hand_over(self, batch: list[events.Event]) -> None:
        """Give the events to Textual in the app's task, in order; return once it was."""
        handed = asyncio.Event()

        async def dispatch() -> None:
            try:
                for event in batch:
                    await self.dispatch(event)
            finally:
                handed.set()

        if self.app.call_later(dispatch):
            await handed.wait()

    async def _until_ready(self, event: events.Event) -> None:
        """Wait until what the last key started has settled and the focused
        widget is ready for `event`, or HOLD_LIMIT has passed."""
        deadline = monotonic() + HOLD_LIMIT
        key = event.key if isinstance(event, events.Key) else ""
        while True:
            await self._settle(deadline)
            if self._focus_ready(key) or monotonic() >= deadline:
                return
            await asyncio.sleep(POLL_SECONDS)

    async def _settle(self, deadline: float) -> None:
        """Let the app and the current screen's widgets handle every message
        waiting for them, round after round, until none is left."""
        for _ in range(MAX_ROUNDS):
            busy = self._busy_nodes()
            # The key's path always takes part: a handler there that was
            # halfway (awaiting something) finishes before the next key.
            await self._round(list({id(node): node for node in
                                    [*self._key_path(), *busy]}.values()))
            if not busy and not self._busy_nodes():
                return
            if monotonic() >= deadline:
                return

    def _busy_nodes(self) -> list[MessagePump]:
        """What must be done before the next key: the widgets of the current
        screen still being mounted (a screen just pushed), and the focused
        widget, its parents and the app while messages wait for them. (Rows
        arriving for a list elsewhere on the screen do not hold keys up.)"""
        try:
            screen = self.app.screen
        except Exception:  # no screen yet, or shutting down
            return [self.app] if _has_waiting_messages(self.app) else []
        busy = [node for node in screen.walk_children(with_self=True) if not node.is_mounted]
        busy += [node for node in self._focus_chain() if _has_waiting_messages(node)]
        return busy

    def _focus_chain(self) -> list[MessagePump]:
        """The focused widget with its parents up to the app (or the screen
        and the app when nothing has the focus)."""
        try:
            screen = self.app.screen
        except Exception:
            return [self.app]
        focused = screen.focused
        return list(focused.ancestors_with_self) if focused is not None else [screen, self.app]

    def _key_path(self) -> list[MessagePump]:
        """Where a key and what it causes are handled: the focused widget,
        the screen and the app (the containers between only pass it on)."""
        try:
            screen = self.app.screen
        except Exception:
            return [self.app]
        focused = screen.focused
        return [node for node in (focused, screen, self.app) if node is not None]

    async def _round(self, nodes: list[MessagePump]) -> None:
        """Wait until each of `nodes` has handled what was queued for it now."""
        remaining = 0
        all_done = asyncio.Event()

        def done() -> None:
            nonlocal remaining
            remaining -= 1
            if remaining == 0:
                all_done.set()

        for node in nodes:
            if node.call_later(done):
                remaining += 1
        if remaining:
            try:
                await asyncio.wait_for(all_done.wait(), ROUND_TIMEOUT)
            except asyncio.TimeoutError:
                pass

    def _is_text_for_focus(self, event: events.Event) -> bool:
        """A printable key that the focused text box takes as text: no
        priority key of the screen or the app is bound to it."""
        if not isinstance(event, events.Key) or not event.is_printable:
            return False
        screen = self.app.screen
        focused = screen.focused
        if not isinstance(focused, _text_box_types()) or getattr(focused, "read_only", False):
            return False
        return not any(binding.priority
                       for _node, bindings in screen._binding_chain
                       for binding in bindings.key_to_bindings.get(event.key, ()))

    def _focus_ready(self, key: str) -> bool:
        """The focused widget and each of its parents are ready for `key`."""
        return all(is_ready(node, key) for node in self._focus_chain())


def _text_box_types() -> tuple[type, ...]:
    """Input, and TextArea once a screen has imported it: a widget of a
    class never imported cannot have the focus, and importing TextArea
    at start would slow every start for the few screens that use it."""
    text_area = sys.modules.get("textual.widgets._text_area")
    return (Input, text_area.TextArea) if text_area is not None else (Input,)
