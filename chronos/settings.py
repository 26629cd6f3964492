"""Typed, split settings. The only module that reads the environment.

Each group is its own ``BaseSettings`` with an env prefix, so the variables read naturally
(``DATABASE_URL``, ``BOT_TOKEN``, ``LLM_API_KEY``, ``WHISPER_MODEL`` ...). ``.env.example`` lists them all.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

_COMMON = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")


class DatabaseSettings(BaseSettings):
    model_config = SettingsConfigDict(**_COMMON, env_prefix="DATABASE_")

    url: SecretStr | None = Field(
        default=None, description="PostgreSQL URL; unset = embedded server under the data dir"
    )
    pool_size: int = Field(default=10, ge=1, le=100)
    echo: bool = False


class BotSettings(BaseSettings):
    model_config = SettingsConfigDict(**_COMMON, env_prefix="BOT_")

    token: SecretStr | None = Field(default=None, description="Telegram bot token; unset = offline console")
    api_server: str | None = Field(default=None, description="Bot API base URL (a local Bot API server)")
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_host: str = "127.0.0.1"
    webhook_port: int = Field(default=8081, ge=1, le=65535)
    max_concurrent_updates: int = Field(default=32, ge=1, le=1000)
    throttle_per_minute: int = Field(default=60, ge=1)
    send_retries: int = Field(default=3, ge=0, le=10)
    dedupe_retention_hours: int = Field(
        default=72,
        ge=25,
        description="how long a handled update id is remembered (Telegram redelivers ≤ 24 h)",
    )


class LLMSettings(BaseSettings):
    model_config = SettingsConfigDict(**_COMMON, env_prefix="LLM_")

    api_key: SecretStr | None = Field(default=None, description="unset = every AI feature runs offline")
    base_url: str = "https://api.x.ai/v1"
    model: str = "grok-3-mini"
    timeout_s: float = Field(default=20.0, gt=0)
    max_retries: int = Field(default=3, ge=0, le=10)
    requests_per_minute: int = Field(default=60, ge=1)
    daily_cost_cap_usd: float = Field(default=5.0, ge=0)
    price_in_per_mtok_usd: float = Field(default=0.30, ge=0)
    price_out_per_mtok_usd: float = Field(default=0.50, ge=0)
    breaker_failures: int = Field(default=5, ge=1)
    breaker_reset_s: float = Field(default=60.0, gt=0)
    cache_ttl_s: int = Field(default=24 * 3600, ge=0)


class WhisperSettings(BaseSettings):
    model_config = SettingsConfigDict(**_COMMON, env_prefix="WHISPER_")

    model: str = Field(default="packaged-base", description="size name, HF id, or CTranslate2 dir")
    language: str = "fa"
    compute_type: str = "int8"
    cpu_threads: int = Field(default=2, ge=1)
    workers: int = Field(default=1, ge=1)
    beam_size: int = Field(default=1, ge=1)
    max_duration_s: int = Field(default=15 * 60, ge=1)
    max_file_bytes: int = Field(default=20 * 1024 * 1024, ge=1)
    audio_retention_days: int = Field(default=30, ge=0)
    max_attempts: int = Field(default=3, ge=1)


class KnowledgeSettings(BaseSettings):
    model_config = SettingsConfigDict(**_COMMON, env_prefix="KB_")

    chroma_url: str | None = Field(default=None, validation_alias="CHROMA_URL")
    embedding_model: str = Field(default="packaged-minilm", description="sentence-transformers name or dir")
    query_prefix: str = Field(default="", description="prepended to queries, e.g. 'query: ' for e5")
    passage_prefix: str = Field(default="", description="prepended to passages, e.g. 'passage: ' for e5")
    embed_glosses: bool = Field(default=True, description="append English glosses of domain terms")
    embed_backend: Literal["onnx", "torch"] = Field(default="onnx", description="onnx falls back to torch")
    embed_threads: int = Field(default=1, ge=1, le=64, description="intra-op threads for embeddings")
    rrf_k: int = Field(default=60, ge=1)
    dense_weight: float = Field(default=1.0, ge=0)
    lexical_weight: float = Field(default=1.0, ge=0)
    neighbours: int = Field(default=1, ge=0, le=5)
    chunk_tokens: int = Field(default=120, ge=20, le=2000)
    chunk_overlap: int = Field(default=24, ge=0, le=500)
    max_file_mb: float = Field(default=20.0, gt=0)
    min_confidence: float = Field(default=0.35, ge=0, le=1)


class NudgeSettings(BaseSettings):
    model_config = SettingsConfigDict(**_COMMON, env_prefix="NUDGE_")

    global_rate_per_s: float = Field(default=25.0, gt=0)
    per_chat_interval_s: float = Field(default=1.0, ge=0)
    quiet_start_hour: int = Field(default=22, ge=0, le=23)
    quiet_end_hour: int = Field(default=9, ge=0, le=23)
    skip_fridays: bool = True
    skip_mourning_days: bool = Field(default=True, description="Tasua, Ashura … (see docs/nudges.md)")
    max_in_flight: int = Field(default=8, ge=1, le=256, description="concurrent Bot API sends")
    send_timeout_s: float = Field(default=10.0, gt=0)
    max_attempts: int = Field(default=5, ge=1, le=50, description="sends of one message before it fails")
    min_days_between: int = Field(default=7, ge=0, description="no second nudge to a rep within these days")
    extra_blocked_dates: Annotated[list[dt.date], NoDecode] = Field(
        default_factory=list, description="extra no-send days (Tehran), e.g. official mourning dates"
    )
    poll_interval_s: float = Field(default=1.0, gt=0, description="dispatcher idle poll")
    sync_interval_s: int = Field(default=15, ge=1, description="scheduler: campaign start/finish check")
    auto_draft: bool = Field(default=False, description="weekly job drafting a low-engagement campaign")

    @field_validator("extra_blocked_dates", mode="before")
    @classmethod
    def _split_dates(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]
        return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(**_COMMON, env_prefix="CHRONOS_")

    data_dir: Path = Field(default=Path("var"), description="all local state lives here")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] | None = Field(
        default=None, description="unset = WARNING, INFO for bot/scheduler/up/console; -v/-vv win"
    )
    bidi: Literal["auto", "on", "off"] = Field(
        default="auto", description="shape Persian for the terminal: auto = only when it is a terminal"
    )
    default_locale: Literal["fa", "en"] = "fa"
    admin_telegram_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list, validation_alias="ADMIN_TELEGRAM_IDS"
    )

    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    bot: BotSettings = Field(default_factory=BotSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    whisper: WhisperSettings = Field(default_factory=WhisperSettings)
    knowledge: KnowledgeSettings = Field(default_factory=KnowledgeSettings)
    nudge: NudgeSettings = Field(default_factory=NudgeSettings)

    @field_validator("admin_telegram_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [int(part) for part in value.replace(";", ",").split(",") if part.strip()]
        return value

    @property
    def resolved_data_dir(self) -> Path:
        return self.data_dir.expanduser().resolve()


class SettingsError(RuntimeError):
    """Raised with the offending environment variable names, not pydantic field paths."""


_GROUP_PREFIX = {
    DatabaseSettings: "DATABASE_",
    BotSettings: "BOT_",
    LLMSettings: "LLM_",
    WhisperSettings: "WHISPER_",
    KnowledgeSettings: "KB_",
    NudgeSettings: "NUDGE_",
    Settings: "CHRONOS_",
}


def _describe(error: ValidationError, prefix: str, model: type[BaseSettings]) -> str:
    lines = []
    for item in error.errors():
        field = str(item["loc"][0]) if item["loc"] else "?"
        info = model.model_fields.get(field)
        alias = info.validation_alias if info is not None else None
        variable = alias if isinstance(alias, str) else f"{prefix}{field}".upper()
        lines.append(f"{variable}: {item['msg']} (got {item.get('input')!r})")
    return "; ".join(lines)


def _group(model: type[BaseSettings]) -> Any:
    try:
        return model()
    except ValidationError as exc:
        raise SettingsError(_describe(exc, _GROUP_PREFIX[model], model)) from exc


def load_settings() -> Settings:
    """Build settings from the environment, turning validation errors into messages naming the variable."""
    try:
        return Settings(
            database=_group(DatabaseSettings),
            bot=_group(BotSettings),
            llm=_group(LLMSettings),
            whisper=_group(WhisperSettings),
            knowledge=_group(KnowledgeSettings),
            nudge=_group(NudgeSettings),
        )
    except ValidationError as exc:
        raise SettingsError(_describe(exc, "CHRONOS_", Settings)) from exc


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
