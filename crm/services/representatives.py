"""Representatives: create, update, look up, and fuzzy search by name, code or phone."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import ColumnClause, Text, func, literal_column, select, text
from sqlalchemy.exc import IntegrityError

from ai.text.persian import to_ascii_digits
from ai.text.phone import InvalidPhoneError, normalize_phone
from crm import audit, search
from crm.db import UnitOfWork
from crm.errors import AlreadyExists, NotFound
from crm.models import Representative, ServiceTier
from crm.models.people import CODE_DIGITS, PHONE_TAIL
from crm.schemas.people import RepresentativeCreate, RepresentativeDTO, RepresentativeUpdate, RepSearchHit
from crm.schemas.types import CODE_PATTERN, Actor
from crm.services import sentiment


async def _tier_id(uow: UnitOfWork, tier_code: str | None) -> int | None:
    if tier_code is None:
        return None
    tier_id = await uow.session.scalar(select(ServiceTier.id).where(ServiceTier.code == tier_code))
    if tier_id is None:
        raise NotFound(f"unknown service tier {tier_code!r}", tier=tier_code)
    return tier_id


def _unique_violation(
    exc: IntegrityError, data: RepresentativeCreate | RepresentativeUpdate
) -> AlreadyExists:
    detail = str(exc.orig)
    for field in ("code", "phone", "telegram_user_id"):
        if f"uq_representative_{field}" in detail:
            return AlreadyExists(f"a representative with this {field} already exists", field=field)
    return AlreadyExists(f"representative conflicts with an existing one: {detail}")


async def create(uow: UnitOfWork, data: RepresentativeCreate, actor: Actor) -> RepresentativeDTO:
    rep = Representative(
        code=data.code,
        full_name=data.full_name,
        name_key=search.name_key(data.full_name),
        name_trigrams=search.trigrams(data.full_name),
        phone=data.phone,
        telegram_user_id=data.telegram_user_id,
        city=data.city,
        province=data.province,
        tier_id=await _tier_id(uow, data.tier_code),
        status=data.status.value,
        assigned_agent_id=data.assigned_agent_id,
        marzban_admin_username=data.marzban_admin_username,
        joined_at=data.joined_at,
    )
    uow.session.add(rep)
    try:
        await uow.session.flush()
    except IntegrityError as exc:
        await uow.rollback()
        raise _unique_violation(exc, data) from exc
    dto = RepresentativeDTO.model_validate(rep)
    audit.record(uow.session, actor, "representative.create", "representative", rep.id, after=dto)
    await uow.commit()
    return dto


async def update(uow: UnitOfWork, rep_id: int, data: RepresentativeUpdate, actor: Actor) -> RepresentativeDTO:
    rep = await uow.session.get(Representative, rep_id, with_for_update=True)
    if rep is None:
        raise NotFound(f"representative {rep_id} not found", rep_id=rep_id)
    before = RepresentativeDTO.model_validate(rep)
    changes = data.model_dump(exclude_unset=True)
    if "tier_code" in changes:
        rep.tier_id = await _tier_id(uow, changes.pop("tier_code"))
    if "full_name" in changes:
        rep.name_key = search.name_key(changes["full_name"])
        rep.name_trigrams = search.trigrams(changes["full_name"])
    for field, value in changes.items():
        setattr(rep, field, value.value if hasattr(value, "value") else value)
    try:
        await uow.session.flush()
    except IntegrityError as exc:
        await uow.rollback()
        raise _unique_violation(exc, data) from exc
    await uow.session.refresh(rep)
    after = RepresentativeDTO.model_validate(rep)
    audit.record(
        uow.session, actor, "representative.update", "representative", rep.id, before=before, after=after
    )
    if after.profiling_opt_out and not before.profiling_opt_out:
        cleared = await sentiment.forget_feelings(uow, rep.id)
        audit.record(
            uow.session, actor, "profiling.opt_out", "representative", rep.id, after={"interactions": cleared}
        )
    await uow.commit()
    return after


async def set_nudge_opt_out(uow: UnitOfWork, rep_id: int, opted_out: bool, actor: Actor) -> RepresentativeDTO:
    rep = await uow.session.get(Representative, rep_id, with_for_update=True)
    if rep is None:
        raise NotFound(f"representative {rep_id} not found", rep_id=rep_id)
    before = rep.nudges_opt_out_at
    if opted_out == (before is not None):  # a second /stop keeps the first opt-out time
        return RepresentativeDTO.model_validate(rep)
    rep.nudges_opt_out_at = dt.datetime.now(dt.UTC) if opted_out else None
    await uow.session.flush()
    audit.record(
        uow.session,
        actor,
        "representative.nudges_opt_out" if opted_out else "representative.nudges_opt_in",
        "representative",
        rep.id,
        before={"nudges_opt_out_at": before},
        after={"nudges_opt_out_at": rep.nudges_opt_out_at},
    )
    dto = RepresentativeDTO.model_validate(rep)
    await uow.commit()
    return dto


async def get(uow: UnitOfWork, rep_id: int) -> RepresentativeDTO:
    rep = await uow.session.get(Representative, rep_id)
    if rep is None:
        raise NotFound(f"representative {rep_id} not found", rep_id=rep_id)
    return RepresentativeDTO.model_validate(rep)


async def get_by_code(uow: UnitOfWork, code: str) -> RepresentativeDTO:
    normalized = to_ascii_digits(code).strip().upper()
    rep = await uow.session.scalar(select(Representative).where(Representative.code == normalized))
    if rep is None:
        raise NotFound(f"no representative with code {normalized!r}", code=normalized)
    return RepresentativeDTO.model_validate(rep)


async def get_by_telegram_id(uow: UnitOfWork, telegram_user_id: int) -> RepresentativeDTO | None:
    rep = await uow.session.scalar(
        select(Representative).where(Representative.telegram_user_id == telegram_user_id)
    )
    return None if rep is None else RepresentativeDTO.model_validate(rep)


# Candidates share at least one trigram with the query (GIN index on name_trigrams); the
# overlap count feeds search.score. The cap keeps very common trigrams from flooding the ranking.
_NAME_CANDIDATES = text(
    """
    SELECT r.id, r.full_name,
           (SELECT count(*) FROM unnest(r.name_trigrams) AS g
            WHERE g = ANY(CAST(:grams AS text[]))) AS shared,
           cardinality(r.name_trigrams) AS n
    FROM representative AS r
    WHERE r.name_trigrams && CAST(:grams AS text[]) AND r.id <> ALL(CAST(:exclude AS bigint[]))
    ORDER BY shared DESC, r.id
    LIMIT 200
    """
)


_SHORT_CODE = re.compile(r"^([A-Z]*)[\s_-]*([0-9]{1,9})$")
# Written as the index expressions themselves, so ix_representative_code_digits and
# ix_representative_phone_tail serve them.
_code_digits: ColumnClause[str] = literal_column(CODE_DIGITS, type_=Text)
_phone_tail: ColumnClause[str] = literal_column(PHONE_TAIL, type_=Text)
PHONE_TAIL_DIGITS = 4


async def _short_code_and_phone_tail(uow: UnitOfWork, query: str, limit: int) -> list[RepSearchHit]:
    """«43», «۴۳», «REP43» or «rep 43» for REP-0043; «6789» also for phones ending in 6789."""
    match = _SHORT_CODE.match(to_ascii_digits(query).strip().upper())
    if match is None:
        return []
    letters, digits = match.group(1), match.group(2)
    by_code = await uow.session.scalars(
        select(Representative)
        .where(_code_digits == digits.lstrip("0"), Representative.code.startswith(letters, autoescape=True))
        .order_by(Representative.code)
        .limit(limit)
    )
    hits = [
        RepSearchHit(representative=RepresentativeDTO.model_validate(rep), score=1.0, matched_on="code")
        for rep in by_code
    ]
    if not letters and len(digits) >= PHONE_TAIL_DIGITS:
        by_phone = await uow.session.scalars(
            select(Representative)
            .where(_phone_tail == digits[-PHONE_TAIL_DIGITS:], Representative.phone.endswith(digits))
            .order_by(Representative.code)
            .limit(limit)
        )
        hits += [
            RepSearchHit(representative=RepresentativeDTO.model_validate(rep), score=0.95, matched_on="phone")
            for rep in by_phone
        ]
    return hits


async def find(uow: UnitOfWork, query: str, *, limit: int = 10) -> list[RepSearchHit]:
    """Exact code or phone first, then a short code or a phone's last digits, then fuzzy name matches
    ranked by trigram overlap."""
    query = query.strip()
    if not query:
        return []
    hits: list[RepSearchHit] = []
    seen: set[int] = set()

    code = to_ascii_digits(query).upper()
    if CODE_PATTERN.match(code):
        exact = await uow.session.scalar(select(Representative).where(Representative.code == code))
        if exact is not None:  # a full code names exactly one representative
            return [
                RepSearchHit(
                    representative=RepresentativeDTO.model_validate(exact), score=1.0, matched_on="code"
                )
            ]
        rows = await uow.session.scalars(
            select(Representative)
            .where(Representative.code.startswith(code, autoescape=True))
            .order_by(func.length(Representative.code), Representative.code)
            .limit(limit)
        )
        for rep in rows:
            hits.append(
                RepSearchHit(
                    representative=RepresentativeDTO.model_validate(rep), score=1.0, matched_on="code"
                )
            )
            seen.add(rep.id)
    try:
        phone = normalize_phone(query)
    except InvalidPhoneError:
        phone = None
    if phone is not None:
        by_phone = await uow.session.scalar(select(Representative).where(Representative.phone == phone))
        if by_phone is not None and by_phone.id not in seen:
            hits.append(
                RepSearchHit(
                    representative=RepresentativeDTO.model_validate(by_phone), score=1.0, matched_on="phone"
                )
            )
            seen.add(by_phone.id)
    for hit in await _short_code_and_phone_tail(uow, query, limit):
        if hit.representative.id not in seen and len(hits) < limit:
            hits.append(hit)
            seen.add(hit.representative.id)

    query_grams = search.trigrams(query)
    if query_grams and len(hits) < limit:
        candidates = (
            await uow.session.execute(_NAME_CANDIDATES, {"grams": query_grams, "exclude": list(seen) or [0]})
        ).all()
        scored = sorted(
            (
                (
                    search.similarity(query, name, query_grams=len(query_grams), name_grams=n, shared=shared),
                    rep_id,
                )
                for rep_id, name, shared, n in candidates
            ),
            key=lambda pair: (-pair[0], pair[1]),
        )
        kept = [(value, rep_id) for value, rep_id in scored if value >= search.MIN_SCORE][: limit - len(hits)]
        if not kept:
            return hits
        reps = {
            rep.id: rep
            for rep in await uow.session.scalars(
                select(Representative).where(Representative.id.in_([rep_id for _, rep_id in kept]))
            )
        }
        hits.extend(
            RepSearchHit(
                representative=RepresentativeDTO.model_validate(reps[rep_id]),
                score=round(value, 4),
                matched_on="name",
            )
            for value, rep_id in kept
        )
    return hits
