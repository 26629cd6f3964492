"""Turning a template and packed (masked) inputs into chat messages, with injection-proof data blocks.

Every input is quoted between ``<<<DATA id=NAME nonce=N>>>`` and ``<<<END DATA id=NAME nonce=N>>>``
lines. ``N`` is a fresh random nonce per request, named in the system message as the only genuine
one, so data cannot forge a closing delimiter; runs of three or more angle brackets inside data are
neutralised as well, so nothing in the data even looks like a delimiter.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Mapping
from functools import cache

from pydantic import BaseModel

from ai.prompts import PromptTemplate, SystemPreamble

Message = dict[str, str]

_ANGLE_MARKERS = ("<<<", ">>>", "\uff1c\uff1c\uff1c", "\uff1e\uff1e\uff1e")
_ANGLE_RUN = re.compile(r"<{3,}|>{3,}|[\uff1c\uff1e]{3,}")
_REPAIR_ECHO_LIMIT = 6000


def new_nonce() -> str:
    return secrets.token_hex(12)


def neutralise_delimiters(text: str) -> str:
    """Replace ``<<<``/``>>>`` runs (and their full-width forms) with look-alike guillemets."""
    if not any(marker in text for marker in _ANGLE_MARKERS):
        return text  # the common case, checked at C speed
    return _ANGLE_RUN.sub(
        lambda match: ("‹" if match.group(0)[0] in "<\uff1c" else "›") * len(match.group(0)), text
    )


def quote_data(name: str, text: str, nonce: str) -> str:
    return (
        f"<<<DATA id={name} nonce={nonce}>>>\n"
        f"{neutralise_delimiters(text)}\n"
        f"<<<END DATA id={name} nonce={nonce}>>>"
    )


@cache
def schema_json(schema: type[BaseModel]) -> str:
    return json.dumps(schema.model_json_schema(), ensure_ascii=False, separators=(",", ":"))


def build_messages(
    preamble: SystemPreamble,
    template: PromptTemplate,
    packed: Mapping[str, str],
    schema: type[BaseModel],
    nonce: str,
) -> list[Message]:
    system = (
        f"{preamble.render(nonce)}\n\n"
        f"Required output: {template.output}\n"
        f"The JSON object must validate against this JSON Schema: {schema_json(schema)}"
    )
    user = template.render({name: quote_data(name, text, nonce) for name, text in packed.items()})
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def repair_messages(messages: list[Message], bad_content: str, problem: str) -> list[Message]:
    """The original conversation plus the invalid answer and a request to correct it, once."""
    return [
        *messages,
        {"role": "assistant", "content": bad_content[:_REPAIR_ECHO_LIMIT]},
        {
            "role": "user",
            "content": (
                f"Your previous reply was rejected: {problem}\n"
                "Reply again with only the corrected JSON object, matching the required schema, "
                "with no text before or after it."
            ),
        },
    ]
