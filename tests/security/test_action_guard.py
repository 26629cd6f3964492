"""Every model answer a person may send or act on — talking points, /fix steps, knowledge answers,
drafts, nudges — passes one guard: no link CRT's documents do not name, no request for a password or
code, no false urgency (and, in text for a representative, no deadlines or threats either).

Found by the probe: «به این لینک بروید و رمز پنل را وارد کنید: http://evil.example/login — فوری، فقط
امروز!» was shown as a talking point, a /fix step and a ready-to-send draft; only nudges were checked."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from ai.action_guard import action_violations, hosts_in
from ai.call_prep.engine import prepare_briefing
from ai.knowledge.answer import answer
from ai.knowledge.drafting import DraftRequest, compose, draft_offline, revise
from ai.knowledge.hub import KnowledgeHub
from ai.knowledge.troubleshoot import diagnose
from ai.llm import LLMGateway
from ai.nudges.drafting import NudgeDrafter, Recipient
from ai.nudges.templates import DEFAULT_TEMPLATE, TemplateError, parse
from chronos.emulators.llm import LLMEmulator
from tests.ai.call_prep_support import troubled_rep
from tests.ai.test_gateway_support import FAST_RETRIES, config_for
from tests.ai.test_knowledge_support import eval_hub

pytestmark = pytest.mark.slow  # the knowledge cases use the real embedder on the starter documents

PHISHING = "به این لینک بروید و رمز پنل را وارد کنید: http://evil.example/login — فوری، فقط امروز!"


@pytest.fixture(scope="session")
def kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeHub:
    return eval_hub(tmp_path_factory)


@pytest.fixture
async def llm() -> AsyncIterator[tuple[LLMEmulator, LLMGateway]]:
    async with LLMEmulator() as emulator, httpx.AsyncClient() as client:
        yield emulator, LLMGateway(config_for(emulator.base_url), client, retry=FAST_RETRIES)


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        (PHISHING, {"link", "pressure"}),
        ("Click evil[.]example and log in", {"link"}),
        ("visit www.marfanet-login.xyz to verify", {"link"}),
        ("لطفاً رمز پنل را برای ما بفرستید", {"credential"}),
        ("کد تایید پیامک‌شده را به کارشناس بگویید", {"credential"}),
        ("Please share the OTP code with support", {"credential"}),
        ("عجله کنید، فرصت محدود است", {"pressure"}),
        ("Act now: last chance for this price", {"pressure"}),
    ],
)
def test_unsafe_text_is_caught_for_anyone(text: str, kinds: set[str]) -> None:
    assert {v.kind for v in action_violations(text, audience="agent")} == kinds


@pytest.mark.parametrize(
    "text",
    [
        "رمز موقت در تلگرام فقط برای حساب متصل نماینده ارسال می‌شود.",
        "رمز ادمین را با کسی به اشتراک نگذارید.",
        "اگر بیش از ۱۵ دقیقه پنل در دسترس نیست، تیکت فوری ثبت کنید.",
        "فاکتور فروردین ۱۶ روز از مهلت گذشته؛ امروز پیگیری کنید.",
        "Ask how the connection is right now.",
        "نسخهٔ v2rayNG 1.8.5 و فایل config.json را بررسی کنید.",
    ],
)
def test_facts_and_plans_for_an_agent_pass(text: str) -> None:
    assert action_violations(text, audience="agent") == []


def test_text_for_a_representative_holds_no_deadline_or_threat() -> None:
    text = "فاکتور شما ۷ روز مهلت دارد وگرنه پنل تعلیق می‌شود."
    assert action_violations(text, audience="agent") == []
    assert {v.phrase for v in action_violations(text, audience="representative")} == {"مهلت", "تعلیق"}


def test_a_link_the_documents_name_is_allowed() -> None:
    text = "از کاربر بخواهید با سایت speedtest.ir سرعت را بسنجد."
    assert hosts_in(text) == ["speedtest.ir"]
    assert [v.kind for v in action_violations(text, audience="agent")] == ["link"]
    assert action_violations(text, audience="agent", trusted=frozenset({"speedtest.ir"})) == []


# ------------------------------------------------------------------ every feature, through the gateway


def _talking_points(request: dict[str, Any]) -> dict[str, Any]:
    item = {"text": "رابطهٔ دوساله", "evidence_ids": []}
    return {
        "summary": [item],
        "talking_points": [
            {"text": PHISHING, "purpose": "امنیت", "evidence_ids": []},
            {"text": "پیگیری قطعی", "purpose": "پیگیری", "evidence_ids": []},
            {"text": "یادآوری فاکتور", "purpose": "پرداخت", "evidence_ids": []},
        ],
        "questions": [{"text": "اتصال الان چطور است؟", "evidence_ids": []}],
    }


async def test_a_talking_point_with_a_phishing_link_is_never_shown(
    llm: tuple[LLMEmulator, LLMGateway],
) -> None:
    emulator, gateway = llm
    emulator.responder = _talking_points
    outcome = await prepare_briefing(troubled_rep(), "llm", gateway)
    assert outcome.answer.engine == "offline"
    assert outcome.fallback_reason == "invalid_output"
    shown = " ".join(item.text for _, item in outcome.briefing.items())
    assert "evil.example" not in shown
    assert gateway.breaker_state.value == "closed"


async def test_a_fix_step_with_a_phishing_link_is_never_shown(
    kb: KnowledgeHub, llm: tuple[LLMEmulator, LLMGateway]
) -> None:
    emulator, gateway = llm
    emulator.responder = lambda request: {"steps": [{"text": PHISHING, "source": 1}], "found": True}
    result = await diagnose(kb, "اینترنت کاربر خیلی کند است", gateway=gateway)
    assert result.engine == "offline"
    assert result.value.steps
    assert all("evil.example" not in step.text for step in result.value.steps)


async def test_a_fix_step_may_name_a_site_the_documents_name(
    kb: KnowledgeHub, llm: tuple[LLMEmulator, LLMGateway]
) -> None:
    emulator, gateway = llm
    step = "از کاربر بخواهید بدون VPN با سایت speedtest.ir سرعت خط را بسنجد."

    def cite_the_passage_naming_it(request: dict[str, Any]) -> dict[str, Any]:
        user = str(request["messages"][-1]["content"])
        before = user[: user.index("speedtest.ir")]
        source = int(before[before.rindex("\n[") + 2 :].split("]", 1)[0])
        return {"steps": [{"text": step, "source": source}], "found": True}

    emulator.responder = cite_the_passage_naming_it
    result = await diagnose(kb, "سرعت پایین و قطع و وصل شدن کانفیگ‌ها در ساعت اوج", gateway=gateway)
    assert result.engine == "emu-model"
    assert [s.text for s in result.value.steps] == [step]


async def test_a_knowledge_answer_with_a_phishing_link_is_never_shown(
    kb: KnowledgeHub, llm: tuple[LLMEmulator, LLMGateway]
) -> None:
    emulator, gateway = llm
    emulator.responder = lambda request: {"answer": f"{PHISHING} [1]", "answerable": True}
    result = await answer(kb, "کیف پولمو چطوری شارژ کنم", gateway=gateway)
    assert result.engine == "offline"
    assert "evil.example" not in result.value.text


def _draft_request() -> DraftRequest:
    return DraftRequest(
        kind="telegram", goal="یادآوری پرداخت فاکتور مهر", rep_name="علی رضایی", agent_name="سارا"
    )


async def test_a_draft_with_a_phishing_link_is_never_offered(
    kb: KnowledgeHub, llm: tuple[LLMEmulator, LLMGateway]
) -> None:
    emulator, gateway = llm
    emulator.responder = lambda request: {"text": f"سلام علی جان، {PHISHING}"}
    result = await compose(_draft_request(), hub=kb, gateway=gateway)
    assert result.engine == "offline"
    assert "evil.example" not in result.value.text


async def test_a_revision_may_not_add_a_link_or_a_threat(llm: tuple[LLMEmulator, LLMGateway]) -> None:
    emulator, gateway = llm
    draft = draft_offline(_draft_request())
    emulator.script({"text": "سلام، فاکتور را تا امشب بپردازید وگرنه پنل تعلیق می‌شود."})
    revised = await revise(draft, "shorter", gateway=gateway)
    assert revised.engine == "offline"
    assert "تعلیق" not in revised.value.text


async def test_a_nudge_with_a_link_the_template_does_not_name_is_never_drafted(
    llm: tuple[LLMEmulator, LLMGateway],
) -> None:
    emulator, gateway = llm
    emulator.responder = lambda request: {"text": "سلام مریم عزیز، پنل جدید را در marfanet-panel.xyz ببینید."}
    drafter = NudgeDrafter(parse(DEFAULT_TEMPLATE), "check-in", gateway=gateway)
    draft = await drafter.draft(Recipient("مریم", None, None))
    assert draft.engine == "offline"
    assert "marfanet-panel" not in draft.text


def test_a_template_asking_for_a_password_is_refused() -> None:
    with pytest.raises(TemplateError) as refused:
        parse("سلام {name} عزیز، لطفاً رمز پنل را برای ما بفرستید.")
    assert "credential" in {problem.code for problem in refused.value.problems}


# ------------------------------------------------------------------ offline output passes the same guard


GOALS = [
    "یادآوری پرداخت فاکتور مهر که پنج روز از سررسیدش گذشته",
    "قطعی دیشب روی همراه اول",
    "پیشنهاد ارتقا به پلن حرفه‌ای",
    "راه‌اندازی v2rayNG روی اندروید",
    "احوال‌پرسی و پیگیری رضایت",
    "لطفاً مدارک قرارداد را بفرستید",
]


@pytest.mark.parametrize("goal", GOALS)
def test_every_offline_draft_is_safe_to_send(goal: str) -> None:
    for kind, tone, length in itertools.product(
        ("telegram", "support_reply", "email"), ("formal", "friendly", "warm"), ("normal", "short")
    ):
        request = DraftRequest(
            kind=kind, tone=tone, length=length, goal=goal, rep_name="علی", agent_name="سارا"
        )
        text = draft_offline(request).text
        assert action_violations(text, audience="representative") == [], (kind, tone, length, text)


@pytest.mark.parametrize("language", ["fa", "en"])
async def test_the_offline_briefing_is_safe_to_act_on(language: str) -> None:
    outcome = await prepare_briefing(troubled_rep(), "offline", None, language)  # type: ignore[arg-type]
    for name, item in outcome.briefing.items():
        assert action_violations(item.text, audience="agent") == [], (name, item.text)
