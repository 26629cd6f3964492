"""Versioned prompt templates shipped as package data (``ai/prompts/*.md``); the format is in README.md."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

PREAMBLE_ID = "system_preamble"
NONCE_PLACEHOLDER = "{{nonce}}"

_PLACEHOLDER = re.compile(r"\{\{([a-z][a-z0-9_]*)\}\}")
_TEMPLATE_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_REQUIRED_KEYS = frozenset({"id", "version", "budget_tokens", "inputs", "output"})
_OPTIONAL_KEYS = frozenset({"max_output_tokens", "temperature"})
_FENCE = "---"


class PromptFormatError(ValueError):
    """A prompt file breaks the documented format; raised at load time, never mid-request."""


@dataclass(frozen=True)
class PromptTemplate:
    """One task prompt. ``body`` holds ``{{input}}`` markers that become quoted data blocks."""

    id: str
    version: int
    budget_tokens: int
    inputs: tuple[str, ...]
    output: str
    body: str
    max_output_tokens: int = 800
    temperature: float = 0.2

    def render(self, blocks: dict[str, str]) -> str:
        """The body with each ``{{name}}`` replaced by ``blocks[name]`` (already quoted by the caller)."""
        missing = set(self.inputs) - set(blocks)
        extra = set(blocks) - set(self.inputs)
        if missing or extra:
            raise ValueError(
                f"template {self.id!r} takes inputs {sorted(self.inputs)}; "
                f"missing {sorted(missing)}, unexpected {sorted(extra)}"
            )
        return _PLACEHOLDER.sub(lambda match: blocks[match.group(1)], self.body)


@dataclass(frozen=True)
class SystemPreamble:
    """The shared system message: ethics rules and the data-delimiter rule, versioned like a template."""

    version: int
    text: str

    def render(self, nonce: str) -> str:
        return self.text.replace(NONCE_PLACEHOLDER, nonce)


def _split_front_matter(source: str, origin: str) -> tuple[dict[str, str], str]:
    lines = source.replace("\r\n", "\n").split("\n")
    if not lines or lines[0].strip() != _FENCE:
        raise PromptFormatError(f"{origin}: must start with a '---' front-matter line")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == _FENCE)
    except StopIteration:
        raise PromptFormatError(f"{origin}: front matter is not closed by '---'") from None
    header: dict[str, str] = {}
    last_key: str | None = None
    for line in lines[1:end]:
        if not line.strip():
            continue
        if line[0].isspace() and last_key is not None:
            header[last_key] = f"{header[last_key]} {line.strip()}"
            continue
        key, separator, value = line.partition(":")
        if not separator:
            raise PromptFormatError(f"{origin}: front-matter line without 'key: value': {line!r}")
        last_key = key.strip()
        if last_key in header:
            raise PromptFormatError(f"{origin}: duplicate key {last_key!r}")
        header[last_key] = value.strip()
    return header, "\n".join(lines[end + 1 :]).strip() + "\n"


def _positive_int(header: dict[str, str], key: str, origin: str) -> int:
    try:
        value = int(header[key])
    except ValueError:
        raise PromptFormatError(f"{origin}: {key} must be an integer, got {header[key]!r}") from None
    if value < 1:
        raise PromptFormatError(f"{origin}: {key} must be positive")
    return value


def parse_template(source: str, origin: str = "<string>") -> PromptTemplate:
    """Parse and check one template file's text (see README.md for the format)."""
    header, body = _split_front_matter(source, origin)
    keys = set(header)
    if missing := _REQUIRED_KEYS - keys:
        raise PromptFormatError(f"{origin}: missing front-matter keys {sorted(missing)}")
    if unknown := keys - _REQUIRED_KEYS - _OPTIONAL_KEYS:
        raise PromptFormatError(f"{origin}: unknown front-matter keys {sorted(unknown)}")
    if not _TEMPLATE_ID.match(header["id"]):
        raise PromptFormatError(f"{origin}: id must be snake_case, got {header['id']!r}")
    inputs = tuple(name.strip() for name in header["inputs"].split(",") if name.strip())
    used = set(_PLACEHOLDER.findall(body))
    if not inputs or set(inputs) != used or len(set(inputs)) != len(inputs):
        raise PromptFormatError(
            f"{origin}: inputs {list(inputs)} must match the body's markers {sorted(used)}"
        )
    try:
        temperature = float(header.get("temperature", "0.2"))
    except ValueError:
        raise PromptFormatError(f"{origin}: temperature must be a number") from None
    return PromptTemplate(
        id=header["id"],
        version=_positive_int(header, "version", origin),
        budget_tokens=_positive_int(header, "budget_tokens", origin),
        inputs=inputs,
        output=header["output"],
        body=body,
        max_output_tokens=_positive_int(header, "max_output_tokens", origin)
        if "max_output_tokens" in header
        else 800,
        temperature=temperature,
    )


def _read(name: str) -> str:
    resource = resources.files(__package__).joinpath(f"{name}.md")
    if not resource.is_file():
        raise FileNotFoundError(f"no prompt file {name}.md in {__package__}")
    return resource.read_text(encoding="utf-8")


@cache
def load_template(template_id: str) -> PromptTemplate:
    """The packaged template ``ai/prompts/<template_id>.md``; its ``id`` must match the file name."""
    if not _TEMPLATE_ID.match(template_id) or template_id == PREAMBLE_ID:
        raise ValueError(f"not a template id: {template_id!r}")
    template = parse_template(_read(template_id), f"{template_id}.md")
    if template.id != template_id:
        raise PromptFormatError(f"{template_id}.md declares id {template.id!r}")
    return template


@cache
def load_preamble() -> SystemPreamble:
    header, body = _split_front_matter(_read(PREAMBLE_ID), f"{PREAMBLE_ID}.md")
    if header.get("id") != PREAMBLE_ID or NONCE_PLACEHOLDER not in body:
        raise PromptFormatError(f"{PREAMBLE_ID}.md must declare its id and use {NONCE_PLACEHOLDER}")
    return SystemPreamble(version=_positive_int(header, "version", f"{PREAMBLE_ID}.md"), text=body.strip())
