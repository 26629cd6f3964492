"""The English phrase bank: a briefing as an English-speaking CRT colleague would write it.

Gregorian dates (Tehran time) and Latin digits. What stays Persian, on purpose: the representative's
own words, ticket subjects and agents' notes, quoted «…» as written; names of people, plans and cities;
and the Persian forms of address the agent will actually use on the call («شما», «جان», «جناب»,
«سرکار»), each explained in English. Iranian occasions keep their names with a short gloss.

The empathy phrases are what to say, in English; their familiar variants are warmer and more casual,
as the «شما» / familiar choice is in Persian.
"""

from __future__ import annotations

from typing import Final

from ai.call_prep.phrases.base import Phrases

EN: Final = Phrases(
    language="en",
    digits=str,
    thousands=",",
    decimal_point=".",
    percent="%",
    list_separator=", ",
    toman_format="{amount} Toman",
    hour_range_format="{start:0>2}:00–{end:0>2}:00",
    tenure_join="{years} and {months}",
    units={
        "day": ("day", "days"),
        "week": ("week", "weeks"),
        "month": ("month", "months"),
        "year": ("year", "years"),
        "user": ("user", "users"),
        "message": ("message", "messages"),
        "interaction": ("interaction", "interactions"),
        "ticket": ("ticket", "tickets"),
        "open_ticket": ("open ticket", "open tickets"),
        "payment": ("payment", "payments"),
        "payment_occasion": ("payment", "payments"),
        "invoice": ("invoice", "invoices"),
        "call": ("call", "calls"),
        "complaint": ("complaint", "complaints"),
        "report": ("report", "reports"),
        "successful_contact": ("successful contact", "successful contacts"),
        "attempt": ("attempt", "attempts"),
        "logged_contact": ("logged contact", "logged contacts"),
    },
    weekdays=("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    moods=("happy and positive", "fairly positive", "neutral", "a little upset", "unhappy and upset"),
    trends={
        "improving": "improving",
        "declining": "declining",
        "stable": "steady",
        "unknown": "unclear (too little data)",
    },
    channels={
        "call": "phone call",
        "telegram": "Telegram message",
        "voice_note": "voice message",
        "email": "email",
        "in_person": "in-person meeting",
    },
    outcomes={
        "reached": "talked",
        "no_answer": "no answer",
        "resolved": "problem solved",
        "follow_up": "needs follow-up",
        "escalated": "escalated",
        "promised_payment": "promised to pay",
        "upsell_interest": "interested in upgrading",
        "complaint": "complained",
    },
    rep_statuses={"active": "active", "paused": "paused", "churned": "churned"},
    ticket_statuses={"open": "open", "in_progress": "in progress", "waiting_rep": "waiting on the rep"},
    emotions={
        "satisfaction": "satisfaction",
        "gratitude": "gratitude",
        "frustration": "frustration",
        "anger": "anger",
        "anxiety": "anxiety",
        "confusion": "confusion",
        "urgency": "urgency",
        "disappointment": "disappointment",
    },
    turning_points={"peak": "high", "trough": "low"},
    grievance_names={
        "outage": "the outage and poor connection",
        "billing": "the payment and billing trouble",
        "delay": "the long wait for an answer",
        "panel": "the panel problem",
        "config": "the config setup hassle",
        "price": "their worry about the price",
    },
    grievance_about={
        "billing": "payments and billing",
        "delay": "a reply",
        "outage": "the connection",
        "panel": "the panel",
        "config": "the configs",
        "price": "the price",
    },
    empathy={
        "outage": (
            "Before anything else, I'm sorry about the outage on {date} that hit your users; I know how "
            "hard that was with your own customers.",
            "First things first, I'm really sorry about the outage on {date} that hit your users; I know "
            "how rough that was with your customers.",
        ),
        "billing": (
            "I know what happened with {about} on {date} caused you trouble; I'm following it up "
            "personally so it doesn't happen again.",
            "I know that business with {about} on {date} was a pain; I'm on it myself so it won't happen "
            "again.",
        ),
        "delay": (
            "You have every right to be upset about being kept waiting on {about} ({date}); you should "
            "have heard back sooner.",
            "You've every right to be annoyed about waiting on {about} ({date}); you should've heard back "
            "sooner.",
        ),
        "panel": (
            "The panel problem on {date} made your day-to-day work harder; thank you for your patience.",
            "That panel problem on {date} made your work harder; thanks for bearing with us.",
        ),
        "config": (
            "I know setting up the configs on {date} took a lot of your time; thank you for working "
            "through it with us.",
            "I know sorting out the configs on {date} ate up a lot of your time; thanks for sticking "
            "with it.",
        ),
        "price": (
            "I remember the concern about price you raised on {date}; I'd like us to look together at "
            "whether your current plan really suits you.",
            "I remember you were worried about the price on {date}; let's look together at whether your "
            "plan really works for you.",
        ),
    },
    triggers={
        "ticket:connectivity": "Connection problems",
        "ticket:billing": "Billing issues",
        "ticket:panel": "Panel problems",
        "ticket:setup": "Setup and configs",
        "ticket:sales": "Sales talk",
        "ticket:other": "Other tickets",
        "outage": "Outages",
        "payment": "Payments",
        "payment:paid": "Payments",
        "topic:outage": "Outages and slowness",
        "topic:billing": "Payments and billing",
        "topic:delay": "Slow replies",
        "topic:panel": "The panel",
        "topic:config": "Configs",
        "topic:price": "Price",
        "topic:churn": "Talk of leaving or competitors",
        "outage:slow_connection": "Slow connections",
        "topic:price_complaint": "Price",
        "topic:payment_issue": "Payment problems",
        "topic:refund_request": "Refunds",
        "topic:panel_issue": "The panel",
        "topic:config_issue": "Configs",
        "topic:support_delay": "Slow replies",
    },
    pleased_reasons={
        "praise": "they thanked the agent for the follow-up and quick replies",
        "resolved": "they were glad their problem was solved",
        "renewal": "they talked about carrying on with us",
        "positive": "they were in a good mood",
    },
    occasions={
        "nowruz_holiday": (
            "Nowruz (the Persian New Year) holidays: wish them a happy new year and keep the call short, "
            "with no selling."
        ),
        "nowruz_season": (
            "Nowruz season: many people are travelling; if they don't answer, leave follow-ups until after "
            "Sizdah Bedar (13 Farvardin, early April)."
        ),
        "pre_nowruz": (
            "The last days of the Persian year, just before Nowruz: the busiest days for business; keep it "
            "short and practical, and wish them a happy new year in advance."
        ),
        "sizdah": (
            "Sizdah Bedar (Nature Day, the 13th day of Nowruz): a public holiday; call only if it can't wait."
        ),
        "yalda": "Yalda Night (the winter solstice celebration): a short greeting goes down well.",
        "ramadan": (
            "Ramadan (approximate dates): many businesses keep shorter hours, and around iftar (the "
            "sunset meal that breaks the fast) is not a good time to call."
        ),
        "tasua_ashura": (
            "Tasua and Ashura (9 and 10 Muharram, days of mourning and public holidays; approximate, so "
            "check the official calendar): make no sales or upgrade pitch, and follow up on essentials only."
        ),
        "friday": (
            "It's Friday, the Iranian weekend: make a business call only if they asked for one or it's "
            "urgent."
        ),
        "thursday_afternoon": "It's Thursday afternoon: many businesses are half-closed, so keep it short.",
    },
    operators={
        "irancell": "Irancell",
        "mci": "Hamrah-e Aval (MCI)",
        "rightel": "RighTel",
        "tci": "TCI (Mokhaberat)",
        "shatel": "Shatel",
        "asiatech": "Asiatech",
        "mobinnet": "MobinNet",
        "parsonline": "ParsOnline",
    },
    onboarding_points=(
        (
            "Introduce yourself as their account manager and explain how to reach support.",
            "start the relationship",
        ),
        (
            "Ask whether the panel and their first configs are up and running, or if they need a hand.",
            "a smooth setup",
        ),
        (
            "Ask which channel and time of day suit them for calls, and note it down.",
            "reach them at the right time",
        ),
    ),
    glance_plan="Plan: {tier}{limit}{price}",
    glance_plan_limit=", up to {users}",
    glance_plan_price=", {price} a month",
    glance_no_plan="Plan: not recorded",
    glance_tenure="With us since {date} ({tenure})",
    glance_status="Status: {status} · assigned agent: {agent}",
    no_agent="none yet",
    glance_last_contact="Last contact: {when}, {channel}",
    glance_no_contact="Last contact: none on record yet",
    glance_payments="Payments, last {days} days: {total} in {count}",
    glance_payments_none_recent="Payments, last {days} days: none; the last one was {when}",
    glance_payments_never="Payments, last {days} days: none on record",
    glance_usage="Active users: {active} of {total}",
    glance_usage_change=" ({change} over {weeks})",
    glance_no_usage="Usage: no data from the panel yet",
    glance_tickets="Open tickets: {count}",
    glance_tickets_breached=", {count} past SLA",
    glance_ticket_first=" — «{subject}» ({status}, {state})",
    sla_breached="past its SLA",
    sla_due="due {when}",
    glance_no_tickets="Open tickets: none",
    glance_overdue="Overdue: {count}, {total} in all",
    in_city="in {city}",
    summary_new=(
        "{name}{where} is a new representative with no history with us yet: this call starts the "
        "relationship."
    ),
    summary_plan="on the {tier} plan",
    summary_since=", with us since {date}",
    summary_total=" ({total} on record in all)",
    summary_line="{head}{since}. Last {days} days: {interactions}{total}, {tickets} and {payments}.",
    summary_contact="{when}, {channel} {direction}: {note}{outcome}",
    contact_note="«{text}»",
    no_note="no note",
    from_rep="from the rep",
    from_us="from us",
    register_opt_out=(
        "Address: the polite «شما» (formal ‘you’); at their own request, we don't analyse how this "
        "representative writes."
    ),
    register_informal=(
        "Address: they write to us informally ({informal} of {sample}); calling them by first name, "
        "«{first} جان» (‘dear {first}’), puts them at ease, but opening with the polite «شما» is always safe."
    ),
    register_formal=(
        "Address: formal, with the polite «شما» ({formal} of {sample} were formal); use their surname "
        "with «جناب» (Mr) or «سرکار» (Ms)."
    ),
    register_unknown="Address: the polite «شما» (formal ‘you’); their messages show no clear preference.",
    occasion_ahead="In {days}: {text}",
    operator_note=(
        "Local network: their users' connection reports {where} mostly involve {operator} ({count})."
    ),
    in_their_area="in their area",
    best_time_unknown=(
        "Best time to call: not enough data yet ({successes} on record; at least {needed} needed)."
    ),
    best_time=(
        "Best time to call: {day}{hours} Tehran time — {hits} of {attempts} in this window got through "
        "(sample: {sample})."
    ),
    best_time_day="{weekday}s, ",
    risk_churn_talk="On {when} they talked about leaving us or moving to another provider: «{words}»",
    risk_churn_hint="On {when} their words hinted at churn: «{words}»",
    risk_usage_drop="Active users went from {first} to {latest} in {weeks} ({change}): a sign of churn.",
    risk_overdue="Invoice {number} ({amount}) has been overdue since {when}.",
    risk_payment_gap="No payment for {days}, though they usually pay every {usual}.",
    risk_breached="Past SLA: {count} ({subjects}); every day of delay costs trust.",
    risk_no_answer="Our last {count} went unanswered (latest: {when}).",
    risk_complaints="{count} logged in the last {days} days.",
    risk_mood="The tone of their messages has been going down over 90 days (now {mood}).",
    hold_no_sales="Not a day for selling: just make a note and raise it another time.",
    hold_fix_first="Fix the open problem first; an offer only gets heard once trust is back.",
    offer_near_limit="{used} of the current plan's {limit} user slots are in use ({share}).",
    pitch_near_limit=(
        "If they keep growing, introduce the next plan with its real price and limit; if they don't need "
        "it yet, don't push."
    ),
    offer_interest="On {when} they showed interest: «{words}»",
    pitch_interest="Offer exactly what they asked about, at its real cost, without rushing them.",
    offer_growth="Active users grew {change} over {weeks}.",
    pitch_growth=(
        "Congratulate them on the growth and ask what they need to keep it going; suggest something only "
        "if it helps them."
    ),
    point_status="The CRM lists them as “{state}”: this call is about rebuilding trust, not selling.",
    purpose_status="win the relationship back",
    point_grievance="Start by acknowledging {grievance} ({date}), then get down to business.",
    purpose_grievance="empathy and rebuilding trust",
    point_ticket="Give a clear update on ticket «{subject}» ({state}) and the next step.",
    purpose_ticket="follow through on an open commitment",
    point_promise="Follow up on the contact of {when} — {outcome}: «{note}»",
    purpose_promise="close the loop",
    point_invoice=(
        "A polite reminder about invoice {number} ({amount}); ask when would suit them to settle it."
    ),
    purpose_invoice="settle it without pressure",
    point_usage_drop="Ask why active users dropped ({change}).",
    purpose_usage_drop="understand the churn risk",
    point_offer="Opportunity: {offer}",
    purpose_offer="growth for both sides",
    point_last_contact="Ask how things turned out after the last contact ({date}: «{note}»).",
    purpose_last_contact="continuity",
    point_usage="Ask whether their {active} active users are happy with the connection these days.",
    purpose_usage="check on their users' satisfaction",
    point_payment="Ask whether paying us is easy or causes any trouble (last payment: {date}).",
    purpose_payment="smoother billing",
    point_plans="Ask about their plans for the coming month and how we can help.",
    purpose_plans="understand their needs",
    ask_outage="How is your users' connection{on} now? Has it improved since {date}?",
    ask_outage_on=" on {operator}",
    ask_usage_drop=(
        "Where is the drop in your users coming from: the season, connection quality, or a competitor?"
    ),
    ask_growth_plans="How many new users do you expect next month?",
    ask_ticket_info="Do you have the details we need for ticket «{subject}»?",
    ask_invoice="When would suit you to settle invoice {number}?",
    ask_stay="What would need to change for you to feel comfortable staying with us?",
    ask_new_users="How many users do you have, and which operators are most of them on?",
    ask_new_channel="Which channel and what time of day are easiest for you to answer?",
    ask_anything_wrong="Since we last spoke, has anything been bothering you?",
    mood_unknown="Mood: no analysed messages to go on.",
    mood_line="Mood now: {mood}; 90-day trend: {trend} (based on {messages})",
    mood_turn="; last turning point: a {kind} on {date}",
    mood_emotions="Most frequent in their messages over the last {days} days: {names}.",
    avoid_trigger=(
        "{name}: came right before {count} of their mood drops; don't bring it up out of the blue, and if "
        "you must, come with a solution."
    ),
    pleased_moment="On {when} {what}: «{words}»",
)
