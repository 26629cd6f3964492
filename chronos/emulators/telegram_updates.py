"""Update queue of the emulator: long polling with Telegram's offset rules, or webhook delivery."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiohttp

from chronos.emulators.telegram_models import ApiError, JsonDict, Upload, WebhookDelivery
from chronos.emulators.telegram_state import IdCounters

log = logging.getLogger(__name__)

DEFAULT_ALLOWED = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)
_CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
_CONFLICT_POLL = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
)

ReplyHandler = Callable[[JsonDict], Awaitable[None]]


@dataclass(slots=True)
class _Pending:
    update: JsonDict
    delivered: bool = False

    @property
    def update_id(self) -> int:
        return int(self.update["update_id"])


@dataclass(slots=True)
class Webhook:
    url: str
    secret_token: str | None = None
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None


def update_type(update: JsonDict) -> str:
    return next((key for key in update if key != "update_id"), "")


class UpdateBus:
    def __init__(self, clock: Callable[[], float], ids: IdCounters) -> None:
        self._clock = clock
        self._ids = ids
        self.history: dict[int, JsonDict] = {}
        self._pending: deque[_Pending] = deque()
        self._allowed = DEFAULT_ALLOWED
        self._signal = asyncio.Event()
        self._poll_generation = 0
        self._closing = False
        self.webhook: Webhook | None = None
        self.deliveries: list[WebhookDelivery] = []
        self._http: aiohttp.ClientSession | None = None
        self._worker: asyncio.Task[None] | None = None
        self._on_reply: ReplyHandler | None = None

    @property
    def pending(self) -> list[JsonDict]:
        return [copy.deepcopy(p.update) for p in self._pending]

    def notify(self) -> None:
        signal, self._signal = self._signal, asyncio.Event()
        signal.set()

    def inject(self, payload: JsonDict) -> int:
        """Assign the next update_id; drop the update if the bot's ``allowed_updates`` excludes it."""
        update_id = self._ids.next_update_id()
        update = {"update_id": update_id, **payload}
        self.history[update_id] = update
        if update_type(update) in self._allowed:
            self._pending.append(_Pending(copy.deepcopy(update)))
            self.notify()
        return update_id

    def redeliver(self, update_id: int) -> None:
        if update_id not in self.history:
            raise KeyError(f"no update {update_id} was injected")
        self._pending.append(_Pending(copy.deepcopy(self.history[update_id])))
        self.notify()

    def drop_pending(self) -> None:
        self._pending.clear()

    def set_allowed(self, allowed: object) -> None:
        if isinstance(allowed, list):
            self._allowed = frozenset(str(a) for a in allowed) or DEFAULT_ALLOWED

    async def get_updates(self, offset: int | None, limit: int, wait_seconds: float) -> list[JsonDict]:
        if self.webhook is not None:
            raise ApiError(409, _CONFLICT_WEBHOOK)
        self._confirm(offset)
        self._poll_generation += 1
        generation = self._poll_generation
        self.notify()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(wait_seconds, 0)
        while True:
            batch = list(itertools.islice(self._pending, max(1, min(limit, 100))))
            remaining = deadline - loop.time()
            if batch or remaining <= 0 or self._closing:
                for pending in batch:
                    pending.delivered = True
                return [copy.deepcopy(p.update) for p in batch]
            signal = self._signal
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(signal.wait(), remaining)
            if self.webhook is not None:
                raise ApiError(409, _CONFLICT_WEBHOOK)
            if generation != self._poll_generation:
                raise ApiError(409, _CONFLICT_POLL)

    def _confirm(self, offset: int | None) -> None:
        """Forget updates confirmed by ``offset``.

        Only updates already handed out count as confirmed, so an update re-injected with an old id
        (``redeliver``) is still delivered once.
        """
        if offset is None or offset == 0:
            return
        if offset < 0:
            keep = list(self._pending)[offset:]
            self._pending = deque(keep)
            return
        self._pending = deque(p for p in self._pending if not (p.delivered and p.update_id < offset))

    def set_webhook(self, webhook: Webhook | None, *, drop_pending: bool) -> None:
        self.webhook = webhook
        if drop_pending:
            self.drop_pending()
        self.notify()

    def webhook_info(self) -> JsonDict:
        hook = self.webhook
        info: JsonDict = {
            "url": hook.url if hook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if hook is None:
            return info
        info.update(ip_address="127.0.0.1", max_connections=hook.max_connections)
        if hook.allowed_updates is not None:
            info["allowed_updates"] = hook.allowed_updates
        if hook.last_error_date is not None:
            info.update(last_error_date=hook.last_error_date, last_error_message=hook.last_error_message)
        return info

    def start(self, on_reply: ReplyHandler) -> None:
        self._closing = False
        self._on_reply = on_reply
        self._http = aiohttp.ClientSession()
        self._worker = asyncio.create_task(self._deliver_forever(), name="telegram-emulator-webhook")

    async def stop(self) -> None:
        self._closing = True
        self.notify()
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None
        if self._http is not None:
            await self._http.close()
            self._http = None

    async def _deliver_forever(self) -> None:
        failures = 0
        while not self._closing:
            hook = self.webhook
            if hook is None or not self._pending:
                signal = self._signal
                await signal.wait()
                continue
            pending = self._pending[0]
            if await self._post(hook, pending.update):
                failures = 0
                if self._pending and self._pending[0] is pending:
                    self._pending.popleft()
            else:
                failures += 1
                await asyncio.sleep(min(0.05 * 2**failures, 2.0))

    async def _post(self, hook: Webhook, update: JsonDict) -> bool:
        assert self._http is not None
        headers = {"X-Telegram-Bot-Api-Secret-Token": hook.secret_token} if hook.secret_token else {}
        status: int | None = None
        error: str | None = None
        reply: JsonDict | None = None
        try:
            async with self._http.post(
                hook.url, json=update, headers=headers, timeout=aiohttp.ClientTimeout(total=10)
            ) as response:
                status = response.status
                if 200 <= status < 300:
                    reply = await _read_reply(response)
                else:
                    error = f"Wrong response from the webhook: {status} {response.reason}"
        except (aiohttp.ClientError, TimeoutError) as exc:
            error = f"Connection failed: {type(exc).__name__}: {exc}"
        delivery = WebhookDelivery(int(update["update_id"]), self._clock(), status, error)
        self.deliveries.append(delivery)
        if error is not None:
            hook.last_error_date = int(self._clock())
            hook.last_error_message = error
            return False
        if reply is not None and self._on_reply is not None:
            try:
                await self._on_reply(reply)
            except Exception:
                log.exception("method returned from the webhook failed")
        return True


async def _read_reply(response: aiohttp.ClientResponse) -> JsonDict | None:
    """A Bot API call returned as the webhook response body, the way aiogram can answer an update."""
    if response.content_type == "application/json":
        try:
            body = json.loads(await response.text())
        except ValueError:
            return None
        return body if isinstance(body, dict) and "method" in body else None
    if response.content_type != "multipart/form-data":
        return None
    reply: JsonDict = {}
    reader = aiohttp.MultipartReader(response.headers, response.content)
    while (part := await reader.next()) is not None:
        if not isinstance(part, aiohttp.BodyPartReader) or part.name is None:
            continue
        if part.filename is not None:
            reply[part.name] = Upload(part.filename, part.headers.get("Content-Type"), await part.read())
        else:
            reply[part.name] = await part.text()
    return reply if "method" in reply else None
