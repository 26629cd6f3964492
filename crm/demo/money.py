"""Subscriptions, monthly invoices and their payments, wallet top-ups, weekly usage snapshots."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ai.text.calendar import to_jalali
from crm.demo.curves import active_from, active_until, noisy_users, progress, users
from crm.demo.plan import Cohort, RepPlan, World, pick, rng_for
from crm.enums import InvoiceStatus, PaymentMethod, RepStatus, SubscriptionStatus

Row = dict[str, Any]

BILLING_CYCLE = dt.timedelta(days=30)
PAYMENT_TERMS = dt.timedelta(days=7)
METHODS = (PaymentMethod.CARD, PaymentMethod.WALLET, PaymentMethod.BANK_TRANSFER, PaymentMethod.CRYPTO)
METHOD_WEIGHTS = (50, 25, 17, 8)
TOP_UP_METHODS = (PaymentMethod.CARD, PaymentMethod.BANK_TRANSFER, PaymentMethod.CRYPTO)


@dataclass
class MoneyBatch:
    subscriptions: list[Row] = field(default_factory=list)
    invoices: list[Row] = field(default_factory=list)
    payments: list[Row] = field(default_factory=list)
    usage: list[Row] = field(default_factory=list)


def subscriptions(rep: RepPlan) -> list[Row]:
    rows = []
    current_start = rep.joined_at
    if rep.previous_tier is not None and rep.upgraded_at is not None:
        rows.append(
            {
                "rep": rep.code,
                "tier": rep.previous_tier.code,
                "status": SubscriptionStatus.EXPIRED.value,
                "started_at": rep.joined_at,
                "ends_at": rep.upgraded_at,
                "price_toman": rep.previous_tier.monthly_price_toman,
                "created_at": rep.joined_at,
            }
        )
        current_start = rep.upgraded_at
    status = {
        RepStatus.CHURNED: SubscriptionStatus.CANCELLED,
        RepStatus.PAUSED: SubscriptionStatus.EXPIRED,
    }.get(rep.status, SubscriptionStatus.ACTIVE)
    rows.append(
        {
            "rep": rep.code,
            "tier": rep.tier.code,
            "status": status.value,
            "started_at": current_start,
            "ends_at": rep.ended_at,
            "price_toman": rep.tier.monthly_price_toman,
            "created_at": current_start,
        }
    )
    return rows


def _delay(rng: random.Random, rep: RepPlan, p: float) -> dt.timedelta | None:
    """Time from issue to payment; None when the invoice is never paid."""
    if rep.cohort is Cohort.CHURN and p > 0:
        if rng.random() < 0.25 * p:
            return None
        return dt.timedelta(days=max(0.5, 3 + 35 * p + rng.uniform(-3, 6)))
    if rng.random() < rep.punctuality:
        return dt.timedelta(days=rng.uniform(0.2, 6))
    return dt.timedelta(days=rng.uniform(7, 25))


def _amount(rep: RepPlan, total_users: int) -> Decimal:
    raw = rep.tier.monthly_price_toman + rep.tier.price_per_user_toman * total_users
    return (raw / 10_000).quantize(Decimal(1)) * 10_000


def _reference(rng: random.Random, rep: RepPlan, n: int) -> str:
    return f"TRX-{rep.number:04d}{n:03d}-{rng.randrange(10**6):06d}"


def billing(world: World, rep: RepPlan) -> MoneyBatch:
    rng = rng_for(world.seed, f"money/{rep.code}")
    batch = MoneyBatch(subscriptions=subscriptions(rep))
    start, end = active_from(world, rep), active_until(world, rep)
    cycles = int((start - rep.joined_at) / BILLING_CYCLE)
    issued_at = rep.joined_at + BILLING_CYCLE * cycles
    if issued_at < start:
        issued_at += BILLING_CYCLE
    invoices: list[dt.datetime] = []
    while issued_at <= end:
        invoices.append(issued_at)
        issued_at += BILLING_CYCLE
    for n, issued in enumerate(invoices):
        due = issued + PAYMENT_TERMS
        _, total = users(world, rep, issued)
        delay = _delay(rng, rep, progress(world, rep, issued))
        paid_at = issued + delay if delay is not None else None
        last_before_leaving = rep.status is RepStatus.CHURNED and n == len(invoices) - 1
        if paid_at is not None and (paid_at > world.anchor or last_before_leaving):
            paid_at = None
        if paid_at is not None:
            status = InvoiceStatus.PAID
        elif last_before_leaving and due <= world.anchor and rng.random() < 0.5:
            status = InvoiceStatus.VOID
        else:
            status = InvoiceStatus.OVERDUE if due <= world.anchor else InvoiceStatus.OPEN
        j = to_jalali(issued)
        number = f"INV-{j.year}{j.month:02d}{j.day:02d}-{rep.number:04d}"
        amount = _amount(rep, total)
        batch.invoices.append(
            {
                "number": number,
                "rep": rep.code,
                "amount_toman": amount,
                "issued_at": issued,
                "due_at": due,
                "paid_at": paid_at,
                "status": status.value,
                "created_at": issued,
            }
        )
        if paid_at is not None:
            batch.payments.append(
                {
                    "reference": _reference(rng, rep, n),
                    "rep": rep.code,
                    "invoice": number,
                    "amount_toman": amount,
                    "method": pick(rng, METHODS, METHOD_WEIGHTS).value,
                    "paid_at": paid_at,
                    "created_at": paid_at,
                }
            )
    batch.payments.extend(_top_ups(rng, world, rep, start, end, len(invoices)))
    batch.usage = usage(world, rep)
    return batch


def _top_ups(
    rng: random.Random, world: World, rep: RepPlan, start: dt.datetime, end: dt.datetime, first: int
) -> list[Row]:
    """Wallet charges outside invoices; sliding representatives stop topping up."""
    rows = []
    for n in range(rng.randint(0, 4)):
        paid_at = start + (end - start) * rng.random()
        if rep.cohort is Cohort.CHURN and progress(world, rep, paid_at) > 0.3:
            continue
        rows.append(
            {
                "reference": _reference(rng, rep, first + n),
                "rep": rep.code,
                "invoice": None,
                "amount_toman": Decimal(rng.randrange(5, 101) * 100_000),
                "method": rng.choice(TOP_UP_METHODS).value,
                "paid_at": paid_at,
                "created_at": paid_at,
            }
        )
    return rows


def snapshot_times(world: World) -> list[dt.datetime]:
    """The weekly panel sync, at 00:00 UTC, newest first, over the history window."""
    latest = world.anchor.replace(hour=0)
    times = []
    moment = latest
    while moment >= world.window_start:
        times.append(moment)
        moment -= dt.timedelta(weeks=1)
    return times


def usage(world: World, rep: RepPlan) -> list[Row]:
    rng = rng_for(world.seed, f"usage/{rep.code}")
    start, end = rep.joined_at, active_until(world, rep)
    rows = []
    for taken_at in reversed(snapshot_times(world)):
        if not start <= taken_at <= end:
            continue
        active, total = noisy_users(world, rep, taken_at, rng)
        traffic = round(active * rep.gb_per_user * rng.uniform(0.8, 1.2) * 1e9)
        rows.append(
            {
                "rep": rep.code,
                "taken_at": taken_at,
                "active_users": active,
                "total_users": total,
                "traffic_bytes": traffic,
                "created_at": taken_at,
            }
        )
    return rows
