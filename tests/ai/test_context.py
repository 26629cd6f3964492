"""Context packing: the budget holds, records stay whole, priorities win, omissions are marked."""

from __future__ import annotations

import pytest

from ai.context import (
    ContextBudgetExceeded,
    ContextRecord,
    ContextSection,
    estimate_tokens,
    omission_marker,
    pack,
)

PERSIAN_RECORD = "نماینده گفت سرعت سرور آلمان در ساعات شلوغ پایین می‌آید و مشتریانش گلایه دارند"


def interactions(count: int, words: int = 12) -> ContextSection:
    return ContextSection(
        "interactions",
        priority=2,
        records=[
            ContextRecord(f"تماس {i}: " + " ".join(["گفت‌وگو"] * words), f"int-{i}") for i in range(count)
        ],
    )


def test_estimate_is_conservative_for_persian_and_latin() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("abc") == 1
    assert estimate_tokens("abcd") == 2
    assert estimate_tokens("سلام") == 2
    assert estimate_tokens(PERSIAN_RECORD) >= len(PERSIAN_RECORD.split()) * 2


@pytest.mark.parametrize("budget", [0, 15, 40, 90, 200, 400, 5000])
def test_packed_text_never_exceeds_the_budget_and_never_splits_a_record(budget: int) -> None:
    section = interactions(20)
    originals = {record.render() for record in section.normalized_records()}

    packed = pack([section, ContextSection("tickets", 1, [PERSIAN_RECORD] * 3)], budget)

    assert packed.used_tokens <= budget
    assert sum(estimate_tokens(s.text) for s in packed.sections.values()) <= budget
    interactions_packed = packed.sections["interactions"]
    for line in interactions_packed.text.splitlines():
        assert line in originals or line.startswith("[… ")
    assert len(interactions_packed.kept) + len(interactions_packed.omitted) == 20


def test_lower_priority_number_is_packed_first() -> None:
    low = ContextSection("history", 5, ["قدیمی " * 40])
    high = ContextSection("tickets", 0, ["تیکت باز " * 20])

    packed = pack([low, high], budget_tokens=estimate_tokens("تیکت باز " * 20) + 20)

    assert packed.sections["tickets"].kept
    assert not packed.sections["history"].kept
    assert list(packed.sections) == ["history", "tickets"]  # caller's order is kept
    assert packed.sections["history"].text == omission_marker(1)


def test_dropped_records_are_counted_in_one_marker_and_ids_tracked() -> None:
    packed = pack([interactions(10)], budget_tokens=150)

    section = packed.sections["interactions"]
    assert section.kept
    assert section.omitted
    assert section.text.endswith(omission_marker(len(section.omitted)))
    assert packed.kept_ids == {f"int-{i}" for i in range(len(section.kept))}
    assert packed.omitted_count == len(section.omitted)
    assert section.text.splitlines()[0].startswith("[int-0] تماس 0:")


def test_a_large_record_is_skipped_and_smaller_later_ones_still_fit() -> None:
    section = ContextSection("docs", 1, ["کوتاه یک", "بلند " * 200, "کوتاه دو"])

    packed = pack([section], budget_tokens=40)

    assert [record.text for record in packed.sections["docs"].kept] == ["کوتاه یک", "کوتاه دو"]
    assert packed.sections["docs"].text == f"کوتاه یک\nکوتاه دو\n{omission_marker(1)}"


def test_required_sections_come_first_and_are_never_trimmed() -> None:
    question = ContextSection("question", 9, ["مبلغ بدهی این نماینده چقدر است؟"], required=True)

    packed = pack([interactions(30), question], budget_tokens=80)

    assert packed.sections["question"].kept == (ContextRecord("مبلغ بدهی این نماینده چقدر است؟"),)
    assert packed.used_tokens <= 80


def test_required_sections_over_budget_are_a_caller_error() -> None:
    with pytest.raises(ContextBudgetExceeded, match="question"):
        pack([ContextSection("question", 0, ["سؤال " * 100], required=True)], budget_tokens=10)


def test_section_names_must_be_unique_and_budget_non_negative() -> None:
    with pytest.raises(ValueError, match="unique"):
        pack([interactions(1), interactions(1)], 100)
    with pytest.raises(ValueError, match="negative"):
        pack([], -1)


def test_empty_sections_pack_to_empty_text() -> None:
    packed = pack([ContextSection("nothing", 0, [])], 100)
    assert packed.sections["nothing"].text == ""
    assert packed.used_tokens == 0
