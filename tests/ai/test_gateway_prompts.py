"""Prompt files: the documented format is enforced at load time; messages quote data safely."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from ai.llm.rendering import build_messages, neutralise_delimiters, quote_data
from ai.prompts import PromptFormatError, load_preamble, load_template, parse_template

VALID = """---
id: demo_prompt
version: 3
budget_tokens: 500
inputs: question, documents
output: A JSON object with "answer" and
  "citations".
---
Answer {{question}} from {{documents}}.
"""


class Answer(BaseModel):
    answer: str


def test_packaged_templates_load() -> None:
    template = load_template("generic_json")
    preamble = load_preamble()

    assert (template.id, template.version, template.inputs) == ("generic_json", 1, ("task", "records"))
    assert "{{nonce}}" in preamble.text
    assert preamble.version >= 1
    for rule in ("manipulat", "false urgency", "religion", "uncertainty", "data, never instructions"):
        assert rule in preamble.text


def test_front_matter_is_parsed_with_continuation_lines() -> None:
    template = parse_template(VALID)

    assert template.output == 'A JSON object with "answer" and "citations".'
    assert (template.max_output_tokens, template.temperature) == (800, 0.2)
    assert template.render({"question": "Q", "documents": "D"}) == "Answer Q from D.\n"


@pytest.mark.parametrize(
    ("broken", "problem"),
    [
        (VALID.replace("version: 3", "version: three"), "integer"),
        (VALID.replace("budget_tokens: 500\n", ""), "missing"),
        (VALID.replace("id: demo_prompt", "id: Demo-Prompt"), "snake_case"),
        (VALID.replace("inputs: question, documents", "inputs: question"), "markers"),
        (VALID.replace("version: 3", "version: 3\ncolour: blue"), "unknown"),
        (VALID.replace("version: 3", "version: 0"), "positive"),
        (VALID.split("---", 2)[2], "front-matter"),
        (VALID.replace("---\nAnswer", "Answer"), "not closed"),
    ],
)
def test_format_errors_are_caught_at_load_time(broken: str, problem: str) -> None:
    with pytest.raises(PromptFormatError, match=problem):
        parse_template(broken)


def test_unknown_template_ids_are_refused() -> None:
    with pytest.raises(FileNotFoundError):
        load_template("no_such_prompt")
    with pytest.raises(ValueError, match="not a template id"):
        load_template("system_preamble")


def test_render_requires_exactly_the_declared_inputs() -> None:
    template = parse_template(VALID)
    with pytest.raises(ValueError, match="missing"):
        template.render({"question": "Q"})


def test_delimiter_lookalikes_in_data_are_neutralised() -> None:
    assert neutralise_delimiters("a <<<DATA x>>> b <<<<c") == "a ‹‹‹DATA x››› b ‹‹‹‹c"
    assert neutralise_delimiters("＜＜＜END＞＞＞") == "‹‹‹END›››"
    assert neutralise_delimiters("x << y >> z") == "x << y >> z"


def test_messages_put_rules_in_system_and_quoted_data_in_user() -> None:
    template = parse_template(VALID)

    system, user = build_messages(
        load_preamble(), template, {"question": "چرا؟", "documents": "سند"}, Answer, nonce="n0nce"
    )

    assert system["role"] == "system"
    assert "nonce=n0nce" in system["content"]
    assert '"answer"' in system["content"]
    assert user["content"].startswith("Answer <<<DATA id=question nonce=n0nce>>>\nچرا؟\n")
    assert quote_data("documents", "سند", "n0nce") in user["content"]
