"""MarFanet's starter documents (crm/starter_kb): they ship with the package, every one of them loads
clean, and what they say about the product is what the CRM holds."""

from __future__ import annotations

import datetime as dt
import fnmatch
import itertools
import re
import tomllib
from pathlib import Path

import pytest

from ai.knowledge.loaders import SourceFile, discover, load
from ai.knowledge.prepare import prepare
from ai.text.persian import to_ascii_digits, to_persian_digits
from bot.texts.fa import FA
from crm.demo.curves import users
from crm.demo.money import BILLING_CYCLE, METHODS, PAYMENT_TERMS, TOP_UP_METHODS, billing
from crm.demo.plan import Cohort, build_world
from crm.demo.pools import OPERATORS, TIERS
from crm.enums import TICKET_SLA_HOURS, TicketCategory, TicketPriority
from crm.starter_kb import DOCUMENTS
from tests.ai.test_knowledge_support import ingest, new_hub

ROOT = Path(__file__).resolve().parents[2]
MAX_BYTES = 20 * 1_048_576
STARTER = sorted(discover([DOCUMENTS]), key=lambda source: source.doc_id)


def test_the_package_data_patterns_cover_every_starter_document() -> None:
    """A normal install (a wheel) carries only what pyproject's package-data patterns name; the
    starter set has its own entry, so a new file type cannot silently stay out of the wheel."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["crm.starter_kb"]
    package_dir = DOCUMENTS.parent
    relative = [source.path.relative_to(package_dir).as_posix() for source in STARTER]
    assert [path for path in relative if not any(fnmatch.fnmatch(path, p) for p in patterns)] == []
    assert len(STARTER) >= 37


@pytest.mark.parametrize("source", STARTER, ids=[source.doc_id for source in STARTER])
def test_every_starter_document_loads_clean(source: SourceFile) -> None:
    """Parses with a title and headed sections; no personal data to mask, nothing flagged as an
    instruction to a model."""
    document = load(source, max_bytes=MAX_BYTES)
    prepared = prepare(document)
    assert document.title
    assert len(document.sections) >= 2
    assert any(section.headings for section in document.sections)
    assert prepared.chunks
    assert not prepared.flagged
    assert prepared.masked_items == 0


def test_every_operator_of_the_crm_has_its_own_troubleshooting_guide() -> None:
    titles = {
        source.doc_id: load(source, max_bytes=MAX_BYTES).title
        for source in STARTER
        if source.doc_id.startswith("troubleshooting/")
    }
    for operator in OPERATORS:
        guides = [doc_id for doc_id, title in titles.items() if operator in title]
        assert len(guides) == 1, (operator, guides)


# A CRT agent's day-one questions about what the evaluation set does not cover land on the document
# written for them (lexical BM25: what the hub answers with right after the first start).
DAY_ONE = [
    ("مارفانت چه خدماتی به نماینده‌ها میده؟", "product/overview.md"),
    ("نمایندگی رو تازه شروع کردم، قدم‌های اول چیه؟", "product/getting-started.md"),
    ("هیدیفای رو روی آیفون چطوری نصب کنم", "clients/hiddify-ios.md"),
    ("کاربرم اینترنت آسیاتک داره و وصل نمیشه", "troubleshooting/asiatech.md"),
    ("asiatech td-lte modem disconnects", "troubleshooting/asiatech.md"),
    ("تیکت رو با چه دسته و اولویتی ثبت کنم؟", "policies/tickets-escalation.md"),
    ("دامنه اختصاصی برای ساب لینک نماینده", "marzban/nodes-and-domains.md"),
    ("انتقال کاربرها به نود ترکیه", "marzban/nodes-and-domains.md"),
]


def test_day_one_questions_find_their_document(tmp_path: Path) -> None:
    hub = new_hub(tmp_path, dense=False)
    ingest(hub, [DOCUMENTS])
    ranked = {question: hub.search(question, k=3).hits[0].chunk.doc_id for question, _ in DAY_ONE}
    assert ranked == dict(DAY_ONE)


# What the documents say about money, tickets and payments is what the CRM holds


def _text(doc_id: str) -> str:
    return (DOCUMENTS / doc_id).read_text(encoding="utf-8")


def _amount(digits: str) -> int:
    return int(to_ascii_digits(digits).replace("٬", "").replace(",", ""))


_NUMBER = r"[۰-۹0-9][۰-۹0-9٬,]*"
_COST_EXAMPLE = re.compile(rf"({_NUMBER}) \+ \(({_NUMBER}) × ({_NUMBER})\) = ({_NUMBER})")


def test_the_plans_table_is_the_crms_tiers() -> None:
    section = _text("plans/plans-and-prices.md").split("## جدول پلن‌ها", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("- ")]
    assert len(rows) == len(TIERS)
    for tier in TIERS:
        (row,) = [line for line in rows if f"({tier.code})" in line]
        assert tier.name in row
        numbers = [_amount(n) for n in re.findall(_NUMBER, row)]
        assert numbers == [tier.monthly_price_toman, tier.price_per_user_toman, tier.user_limit], row


def test_every_cost_example_adds_up_with_a_real_tier() -> None:
    """«fixed + (users × per user) = total» anywhere in the set: the pair is a tier's, the users fit
    its limit, the sum is right and already on the invoices' 10,000-Toman grid."""
    examples = [
        (source.doc_id, *(_amount(n) for n in match.groups()))
        for source in STARTER
        for match in _COST_EXAMPLE.finditer(source.path.read_text(encoding="utf-8"))
    ]
    assert len(examples) >= 4
    tiers = {(int(t.monthly_price_toman), int(t.price_per_user_toman)): t for t in TIERS}
    for doc_id, fixed, count, per_user, total in examples:
        tier = tiers.get((fixed, per_user))
        assert tier is not None, (doc_id, fixed, per_user)
        assert count <= tier.user_limit, (doc_id, count)
        assert fixed + count * per_user == total, (doc_id, total)
        assert total % 10_000 == 0


def test_invoices_bill_what_the_documents_say() -> None:
    """Every 30 days from the first day, 7 days to pay, the plan's fixed price plus every user on the
    panel (connected or not) at the issue date, rounded to 10,000 Toman; numbered INV-<Jalali
    date>-<representative number>, payments TRX-…: the demo's own invoices, checked against the
    formula the documents give."""
    invoices, cost = _text("billing/invoices.md"), _text("plans/per-user-cost.md")
    assert f"هر {to_persian_digits(str(BILLING_CYCLE.days))} روز" in invoices
    assert f"{to_persian_digits(str(PAYMENT_TERMS.days))} روز مهلت پرداخت" in invoices
    assert "اولین فاکتور در روز شروع نمایندگی" in invoices
    assert "اولین فاکتور همان روز شروع نمایندگی" in _text("product/getting-started.md")
    assert "ده هزار تومان" in invoices
    assert "ده هزار تومان" in cost
    world = build_world(1, dt.datetime(2026, 3, 10, 9, tzinfo=dt.UTC))
    rep = next(r for r in world.reps if r.cohort is Cohort.UPSELL)  # users move, so the count matters
    batch = billing(world, rep)
    assert len(batch.invoices) >= 10
    issued = [row["issued_at"] for row in batch.invoices]
    assert all(b - a == BILLING_CYCLE for a, b in itertools.pairwise(issued))
    assert (issued[0] - rep.joined_at) % BILLING_CYCLE == dt.timedelta(0)  # cycles from the first day
    for row in batch.invoices:
        _, on_panel = users(world, rep, row["issued_at"])
        raw = rep.tier.monthly_price_toman + rep.tier.price_per_user_toman * on_panel
        assert row["amount_toman"] == round(raw / 10_000) * 10_000
        assert row["due_at"] - row["issued_at"] == PAYMENT_TERMS
    number = re.fullmatch(r"INV-(\d{8})-(\d{4})", batch.invoices[0]["number"])
    assert number is not None
    assert int(number.group(2)) == rep.number
    assert re.search(r"INV-\d{8}-\d{4}", invoices)
    assert all(str(p["reference"]).startswith("TRX-") for p in batch.payments)
    assert "TRX-" in invoices
    assert "TRX-" in _text("billing/payment-methods.txt")


def test_ticket_categories_and_priorities_are_the_crms_words() -> None:
    """«دستهٔ «…»» and «اولویت «…»» anywhere in the set name a category or priority the bot shows."""
    categories = {FA[f"category.{c.value}"] for c in TicketCategory}
    priorities = {FA[f"priority.{p.value}"] for p in TicketPriority}
    text = "\n".join(source.path.read_text(encoding="utf-8") for source in STARTER)
    named_categories = set(re.findall(r"دستهٔ «([^»]+)»", text))
    named_priorities = set(re.findall(r"اولویت «([^»]+)»", text))
    assert named_categories
    assert named_categories <= categories
    assert named_priorities <= priorities


def test_support_hours_give_each_priority_its_sla() -> None:
    items = re.findall(r"<li>(.*?)</li>", _text("policies/support-hours.html"))
    for priority, hours in TICKET_SLA_HOURS.items():
        label = FA[f"priority.{priority.value}"]
        (item,) = [item for item in items if item.startswith(label)]
        promised = f"{to_persian_digits(str(hours))} ساعت"
        assert promised in item, (priority, item)


def test_payment_methods_use_the_crms_labels() -> None:
    text = _text("billing/payment-methods.txt")
    for method in {*METHODS, *TOP_UP_METHODS}:
        assert f"«{FA[f'method.{method.value}']}»" in text, method


def test_no_document_promises_what_the_invoices_do_not_carry() -> None:
    """The demo's invoices carry no percentage discount, and representatives with an invoice unpaid
    for weeks still have users online: so no document may promise an automatic discount, and the
    suspension policy must leave the cut-off to a supervisor."""
    text = "\n".join(source.path.read_text(encoding="utf-8") for source in STARTER)
    assert re.search(rf"{_NUMBER} ?(درصد|٪) تخفیف", text) is None
    world = build_world(1, dt.datetime(2026, 3, 10, 9, tzinfo=dt.UTC))
    grace = dt.timedelta(days=14)
    late_but_online = 0
    for rep in (r for r in world.reps if r.cohort is Cohort.CHURN and r.ended_at is None):
        batch = billing(world, rep)
        overdue = [
            row["due_at"]
            for row in batch.invoices
            if row["paid_at"] is None and world.anchor - row["due_at"] > grace
        ]
        if overdue and any(u["active_users"] > 0 and u["taken_at"] > overdue[0] + grace for u in batch.usage):
            late_but_online += 1
    assert late_but_online > 0
    suspension = _text("billing/suspension-overdue.md")
    assert "تعلیق هیچ‌وقت خودکار نیست" in suspension
