"""A loopback Telegram Bot API server for tests and the offline console.

The real aiogram ``Bot`` talks to it over HTTP (``TelegramAPIServer.from_base(emulator.base_url)``).
Humans are played through :class:`~chronos.emulators.telegram_users.UserActions`; everything the bot
does is recorded as :class:`RecordedCall` and kept per chat as :class:`StoredMessage`.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from chronos.emulators.telegram_methods import CALLBACK_ANSWER_WINDOW_S, BotApiMethods
from chronos.emulators.telegram_models import (
    ApiError,
    Fault,
    FaultKind,
    JsonDict,
    RecordedCall,
    StoredMessage,
    WebhookDelivery,
)
from chronos.emulators.telegram_params import MAX_UPLOAD_BYTES, decode, for_record, read_request
from chronos.emulators.telegram_state import IdCounters
from chronos.emulators.telegram_store import ChatStore
from chronos.emulators.telegram_updates import UpdateBus, Webhook
from chronos.emulators.telegram_users import UserActions

log = logging.getLogger(__name__)

# A made-up token in the shape aiogram validates; it only ever reaches the loopback server.
DEFAULT_TOKEN = "123456789:AAEmulatedChronosTestTokenxxxxxxxxxx"  # noqa: S105
CallPredicate = Callable[[RecordedCall], bool]
CallSubscriber = Callable[[RecordedCall], object]


def _method_is(name: str) -> CallPredicate:
    def matches(call: RecordedCall) -> bool:
        return call.method == name

    return matches


def _reply(status: int, body: JsonDict) -> web.Response:
    return web.json_response(body, status=status)


class TelegramEmulator(UserActions):
    """One bot, many private chats. Use as ``async with TelegramEmulator() as emulator: ...``.

    Call its methods from the event loop it runs on. ``clock`` gives message dates and decides when a
    callback query expires: a bot must answer within ``callback_answer_window_s`` of the press, as in
    Telegram, so a test can move the clock instead of sleeping. With ``state_path`` the update, message
    and callback query ids continue across emulators on that file, as Telegram's never repeat (see
    :mod:`~chronos.emulators.telegram_state`); without it every emulator starts them at 1.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "chronos_test_bot",
        bot_first_name: str = "Chronos",
        clock: Callable[[], float] = time.time,
        callback_answer_window_s: float = CALLBACK_ANSWER_WINDOW_S,
        state_path: Path | None = None,
    ) -> None:
        self.token = token
        self._clock = clock
        bot_id = token.split(":", 1)[0]
        self.bot_user: JsonDict = {
            "id": int(bot_id) if bot_id.isdigit() else 1,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        ids = IdCounters(state_path)
        self._store = ChatStore(ids)
        self._bus = UpdateBus(clock, ids)
        self._methods = BotApiMethods(
            self._store, self._bus, self.bot_user, clock, callback_answer_window_s=callback_answer_window_s
        )
        self._calls: list[RecordedCall] = []
        self._call_signal = asyncio.Event()
        self._subscribers: list[CallSubscriber] = []
        self._faults: list[Fault] = []
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None

    @property
    def base_url(self) -> str:
        if self._base_url is None:
            raise RuntimeError("the emulator is not running; call start() first")
        return self._base_url

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> Self:
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES + 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, handler_cancellation=True, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        bound_port = runner.addresses[0][1]
        self._base_url = f"http://{host}:{bound_port}"
        self._bus.start(self._execute_reply)
        return self

    async def stop(self) -> None:
        await self._bus.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self._base_url = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    def calls(self, method: str | None = None) -> list[RecordedCall]:
        if method is None:
            return list(self._calls)
        name = self._canonical(method)
        return [call for call in self._calls if call.method == name]

    def clear_calls(self) -> None:
        self._calls.clear()

    def messages_to(self, chat_id: int) -> list[StoredMessage]:
        """The bot's messages in this chat, current after edits, without deleted ones."""
        return [message for message in self._store.history(chat_id) if message.from_bot]

    def last_message(self, chat_id: int) -> StoredMessage | None:
        sent = self.messages_to(chat_id)
        return sent[-1] if sent else None

    def history(self, chat_id: int) -> list[StoredMessage]:
        """Both sides of the chat in order, as a client would show it."""
        return self._store.history(chat_id)

    def message(self, chat_id: int, message_id: int) -> StoredMessage | None:
        return self._store.message(chat_id, message_id)

    def reply_keyboard(self, chat_id: int) -> JsonDict | None:
        """The reply keyboard the user currently sees, if the bot set one."""
        return self._store.reply_keyboards.get(chat_id)

    def commands(self, scope: JsonDict | None = None, language_code: str = "") -> list[JsonDict]:
        key = BotApiMethods.commands_key({"scope": scope, "language_code": language_code})
        return list(self._store.commands.get(key, []))

    @property
    def webhook(self) -> Webhook | None:
        return self._bus.webhook

    @property
    def webhook_deliveries(self) -> list[WebhookDelivery]:
        return list(self._bus.deliveries)

    @property
    def pending_updates(self) -> list[JsonDict]:
        return self._bus.pending

    async def wait_for(
        self,
        what: str | CallPredicate,
        timeout: float = 5.0,  # noqa: ASYNC109 - part of the helper's documented signature
    ) -> RecordedCall:
        """Return the first recorded call matching a method name or predicate, waiting if none has yet.

        Calls recorded before this is awaited count too; ``clear_calls()`` first to wait for a new one.
        """
        matches = _method_is(self._canonical(what)) if isinstance(what, str) else what
        seen = 0
        try:
            async with asyncio.timeout(timeout):
                while True:
                    seen = min(seen, len(self._calls))
                    for call in self._calls[seen:]:
                        if matches(call):
                            return call
                    seen = len(self._calls)
                    signal = self._call_signal
                    await signal.wait()
        except TimeoutError:
            made = [call.method for call in self._calls]
            raise TimeoutError(f"no call matching {what!r} within {timeout}s; calls so far: {made}") from None

    def on_call(self, callback: CallSubscriber) -> Callable[[], None]:
        """Call ``callback(call)`` after every recorded call; it may be async. Returns an unsubscriber."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

    def inject_fault(
        self,
        method: str | None,
        kind: FaultKind = "429",
        retry_after: int = 1,
        delay: float = 0,
        times: int = 1,
    ) -> Fault:
        """Make the next ``times`` calls of ``method`` fail (429, 500) or answer after ``delay`` (slow).

        ``method=None`` matches every method except ``getUpdates``, so a polling dispatcher does not use
        up faults meant for the bot's own calls; name ``getUpdates`` to fault polling.
        """
        if kind == "slow" and delay <= 0:
            raise ValueError("a slow fault needs delay > 0")
        if times < 1:
            raise ValueError("times must be at least 1")
        name = None if method is None else self._canonical(method)
        fault = Fault(name, kind, retry_after, delay, times)
        self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        self._faults.clear()

    def block_chat(self, chat_id: int) -> None:
        """The user blocked the bot: sends to this chat now fail with 403."""
        self._store.blocked.add(chat_id)

    def unblock_chat(self, chat_id: int) -> None:
        self._store.blocked.discard(chat_id)

    async def call_api(self, method: str, params: JsonDict) -> tuple[int, JsonDict]:
        """Run a Bot API method in-process, recorded like an HTTP call; returns (status, body)."""
        entry = self._methods.handlers.get(method.lower())
        name = entry[0] if entry else method
        try:
            await self._apply_fault(name)
            if entry is None:
                raise ApiError(404, "Not Found")
            result = await entry[1](params)
            status, body = 200, {"ok": True, "result": result}
        except ApiError as exc:
            status, body = exc.status, exc.body()
        except Exception:
            log.exception("emulated %s failed", name)
            status, body = 500, {"ok": False, "error_code": 500, "description": "Internal Server Error"}
        await self._record(name, params, status, body)
        return status, body

    def _canonical(self, method: str) -> str:
        entry = self._methods.handlers.get(method.lower())
        return entry[0] if entry else method

    async def _apply_fault(self, method: str) -> None:
        fault = next(
            (f for f in self._faults if f.method == method or (f.method is None and method != "getUpdates")),
            None,
        )
        if fault is None:
            return
        fault.remaining -= 1
        if fault.remaining <= 0:
            self._faults.remove(fault)
        if fault.delay > 0:
            await asyncio.sleep(fault.delay)
        if fault.kind == "429":
            raise ApiError(
                429, f"Too Many Requests: retry after {fault.retry_after}", retry_after=fault.retry_after
            )
        if fault.kind == "500":
            raise ApiError(500, "Internal Server Error")

    async def _record(self, method: str, params: JsonDict, status: int, body: JsonDict) -> None:
        call = RecordedCall(method, for_record(params), self._clock(), status, body)
        self._calls.append(call)
        signal, self._call_signal = self._call_signal, asyncio.Event()
        signal.set()
        for subscriber in list(self._subscribers):
            try:
                result = subscriber(call)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                log.exception("on_call subscriber %r failed", subscriber)

    async def _handle(self, request: web.Request) -> web.Response:
        path: str = request.match_info["tail"]
        if path.startswith("file/bot"):
            return await self._serve_file(path.removeprefix("file/bot"))
        token, _, method = path.removeprefix("bot").partition("/")
        if not path.startswith("bot") or not method or "/" in method:
            return _reply(404, ApiError(404, "Not Found").body())
        if token != self.token:
            error = ApiError(401, "Unauthorized")
            await self._record(self._canonical(method), {}, error.status, error.body())
            return _reply(error.status, error.body())
        try:
            params = await read_request(request)
        except ApiError as exc:
            await self._record(self._canonical(method), {}, exc.status, exc.body())
            return _reply(exc.status, exc.body())
        return _reply(*await self.call_api(method, params))

    async def _serve_file(self, rest: str) -> web.Response:
        token, _, file_path = rest.partition("/")
        if token != self.token:
            return _reply(401, ApiError(401, "Unauthorized").body())
        stored = self._store.file_by_path(file_path)
        status = 200 if stored is not None else 404
        await self._record("downloadFile", {"file_path": file_path}, status, {"ok": stored is not None})
        if stored is None:
            return _reply(404, ApiError(404, "Not Found").body())
        return web.Response(body=stored.data, content_type=stored.mime_type or "application/octet-stream")

    async def _execute_reply(self, reply: JsonDict) -> None:
        params: dict[str, Any] = dict(reply)
        method = str(params.pop("method"))
        await self.call_api(method, decode(params))
