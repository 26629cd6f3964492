"""Supervisor-editable nudge templates.

A template is plain text with placeholders and optional blocks::

    سلام {name} عزیز،[[ درباره «{topic}» اگر سؤالی مانده بپرسید.]][[ شاید این به کارتان بیاید: {kb_title}]]

* ``{name}`` the representative's name (always available);
* ``{topic}`` a topic from the reviewed vocabulary (:mod:`ai.nudges.topics`), when there is one;
* ``{kb_title}`` a knowledge-hub item relevant to that topic, when the hub is wired and finds one.

A block ``[[ … ]]`` is kept only when every placeholder inside it has a value, so one template reads
well for every representative. The opt-out line is appended when rendering if the author left it out.
:func:`parse` refuses unknown placeholders, unbalanced blocks and text that fails the guardrails.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ai.action_guard import trusted_hosts
from ai.nudges.guardrails import OPT_OUT_LINE, Violation, violations, with_opt_out
from ai.text.persian import normalize

PLACEHOLDERS = ("name", "topic", "kb_title")
REQUIRED_IN_TEXT = ("name",)
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_BLOCK = re.compile(r"\[\[(.*?)\]\]", re.DOTALL)

DEFAULT_TEMPLATE = (
    "سلام {name} عزیز،\n"
    "از تیم ارتباط با نمایندگان مارفانت هستیم و خواستیم حالی از کارتان بپرسیم."
    "[[ آخرین بار درباره «{topic}» صحبت کردیم؛ اگر هنوز سؤالی مانده، خوشحال می‌شویم کمک کنیم.]]"
    "[[ این راهنما هم شاید به کارتان بیاید: «{kb_title}».]]\n"
    "هر وقت خواستید همین‌جا جواب بدهید.\n" + OPT_OUT_LINE
)


@dataclass(frozen=True)
class TemplateProblem:
    """Why a template is refused: a code (a structure problem or a guardrail kind) and its details,
    which a screen puts into the reader's language; :meth:`describe` says it in English."""

    code: str
    params: dict[str, str | int]
    english: str

    def describe(self) -> str:
        return self.english

    @classmethod
    def of(cls, violation: Violation) -> TemplateProblem:
        return cls(violation.kind, violation.params, violation.describe())


class TemplateError(ValueError):
    """The template cannot be used, for every reason in ``problems``."""

    def __init__(self, problems: list[TemplateProblem]) -> None:
        super().__init__("; ".join(problem.describe() for problem in problems))
        self.problems = problems


@dataclass(frozen=True)
class NudgeTemplate:
    text: str

    @property
    def link_hosts(self) -> frozenset[str]:
        """The hosts the supervisor's wording links to: the only ones a nudge from it may name."""
        return trusted_hosts([self.text])

    def render(self, values: dict[str, str | None]) -> str:
        def fill(fragment: str) -> str:
            return _PLACEHOLDER.sub(lambda m: values.get(m.group(1)) or "", fragment)

        def block(match: re.Match[str]) -> str:
            inner = match.group(1)
            names = _PLACEHOLDER.findall(inner)
            return fill(inner) if all(values.get(name) for name in names) else ""

        return with_opt_out(fill(_BLOCK.sub(block, self.text)))


def _structure_problems(text: str) -> list[TemplateProblem]:
    problems = []
    unknown = sorted({name for name in _PLACEHOLDER.findall(text) if name not in PLACEHOLDERS})
    if unknown:
        names = ", ".join("{" + n + "}" for n in unknown)
        allowed = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
        problems.append(
            TemplateProblem(
                "unknown_placeholders",
                {"names": names, "allowed": allowed},
                f"unknown placeholders {names} (allowed: {allowed})",
            )
        )
    without_blocks = _BLOCK.sub("", text)
    if "[[" in without_blocks or "]]" in without_blocks:
        problems.append(TemplateProblem("unclosed_block", {}, "an optional block '[[ … ]]' is not closed"))
    if "{" in _PLACEHOLDER.sub("", text) or "}" in _PLACEHOLDER.sub("", text):
        problems.append(TemplateProblem("stray_brace", {}, "a '{' or '}' that is not part of a placeholder"))
    for name in REQUIRED_IN_TEXT:
        if "{" + name + "}" not in text:
            problems.append(
                TemplateProblem(
                    "missing_name",
                    {"placeholder": "{" + name + "}"},
                    f"the template must address the representative by {{{name}}}",
                )
            )
    return problems


def guardrail_problems(text: str) -> list[Violation]:
    """Guardrail violations of the template's fixed wording (placeholders blanked out); the links a
    supervisor wrote into it are theirs to vouch for."""
    wording = _PLACEHOLDER.sub(" ", _BLOCK.sub(lambda m: m.group(1), text))
    return violations(wording, trusted_hosts=trusted_hosts([wording]))


def parse(text: str) -> NudgeTemplate:
    """A usable template, or :class:`TemplateError` saying every reason it is refused."""
    cleaned = normalize(text)
    problems = _structure_problems(cleaned)
    problems += [TemplateProblem.of(violation) for violation in guardrail_problems(cleaned)]
    if problems:
        raise TemplateError(problems)
    return NudgeTemplate(cleaned)
