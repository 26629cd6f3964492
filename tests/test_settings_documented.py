"""Every setting is listed in .env.example under the variable name it is read from."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings

from chronos.settings import (
    BotSettings,
    DatabaseSettings,
    KnowledgeSettings,
    LLMSettings,
    NudgeSettings,
    Settings,
    WhisperSettings,
)

EXAMPLE = Path(__file__).resolve().parents[1] / ".env.example"


def _variables(model: type[BaseSettings]) -> list[str]:
    prefix = str(model.model_config.get("env_prefix", ""))
    names = []
    for field, info in model.model_fields.items():
        if isinstance(info.default_factory, type) and issubclass(info.default_factory, BaseSettings):
            continue
        alias = info.validation_alias
        names.append(alias if isinstance(alias, str) else f"{prefix}{field}".upper())
    return names


def test_env_example_lists_every_setting() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    groups = [
        Settings,
        DatabaseSettings,
        BotSettings,
        LLMSettings,
        WhisperSettings,
        KnowledgeSettings,
        NudgeSettings,
    ]
    missing = [name for group in groups for name in _variables(group) if f"{name}=" not in text]
    assert missing == []
