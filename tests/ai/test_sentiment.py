"""The offline Persian sentiment engine: phenomena, bad input, evidence offsets and measured quality."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pytest

from ai.sentiment import (
    EMOTIONS,
    ENGINE,
    SIGNALS,
    LexiconSentimentAnalyzer,
    SentimentAnalyzer,
    SentimentResult,
)
from ai.sentiment.evaluate import EvalItem, evaluate, load_items

DATA = Path(__file__).resolve().parents[1] / "data" / "sentiment_fa.jsonl"


@pytest.fixture(scope="module")
def analyzer() -> LexiconSentimentAnalyzer:
    return LexiconSentimentAnalyzer()


def _effects(result: SentimentResult) -> dict[str, str]:
    return {span.text: span.effect for span in result.evidence}


# ---------------------------------------------------------------------------------------- phenomena
@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("هر کاری می‌کنم وصل نمیشه", "negative"),
        ("افتضاحه", "negative"),
        ("دمتون گرم", "positive"),
        ("سه روزه قطعه", "negative"),
        ("پنل مرزبان بالا نمیاد", "negative"),
        ("سرعتش توپه، مرسی", "positive"),
        ("همه چی ردیفه", "positive"),
    ],
)
def test_colloquial(analyzer: LexiconSentimentAnalyzer, text: str, label: str) -> None:
    assert analyzer.analyze(text).label == label


def test_negation_flips_and_softens(analyzer: LexiconSentimentAnalyzer) -> None:
    not_bad = analyzer.analyze("بد نبود")
    great = analyzer.analyze("عالی بود")
    assert not_bad.label == "positive"
    assert not_bad.score < great.score  # «not bad» is mild praise, not praise
    assert _effects(not_bad)["بد"] == "negated"
    assert _effects(not_bad)["نبود"] == "negator"

    assert analyzer.analyze("راضی نیستم").label == "negative"
    at_all = analyzer.analyze("اصلاً راضی نیستم")
    assert at_all.label == "negative"
    assert at_all.score < analyzer.analyze("راضی نیستم").score
    assert at_all.emotions["disappointment"] >= 0.5

    assert analyzer.analyze("سرعت خوب نیست").label == "negative"
    assert analyzer.analyze("این هفته هیچ مشکلی نداشتیم").label == "positive"
    assert analyzer.analyze("دیگه قطع نمیشه").label == "positive"
    assert analyzer.analyze("نه، هنوز وصل نشده").label == "negative"
    assert analyzer.analyze("نمی‌تونم به سرور وصل بشم").label == "negative"
    assert analyzer.analyze("سرور جدید بدون قطعی کار می‌کنه").label == "positive"
    assert analyzer.analyze("مشتریا دیگه از قطعی گله نکردن").label == "positive"


def test_intensifiers_and_diminishers_scale(analyzer: LexiconSentimentAnalyzer) -> None:
    plain = analyzer.analyze("سرعت کنده").score
    assert analyzer.analyze("سرعت خیلی کنده").score < plain < analyzer.analyze("سرعت یکم کنده").score < 0
    assert analyzer.analyze("واقعاً عالیه").score > analyzer.analyze("عالیه").score > 0
    assert analyzer.analyze("کمی کنده").score > plain


def test_polite_complaint_stays_negative(analyzer: LexiconSentimentAnalyzer) -> None:
    result = analyzer.analyze("ببخشید مزاحم میشم ولی باز قطع شد")
    assert result.label == "negative"
    assert "outage_report" in result.signals
    effects = _effects(result)
    assert effects["ببخشید"] == "polite"
    assert effects["باز"] == "intensifier"
    assert result.emotions["frustration"] >= 0.5


def test_sarcasm_reads_thanks_as_complaint(analyzer: LexiconSentimentAnalyzer) -> None:
    sarcastic = analyzer.analyze("دستتون درد نکنه، سه روزه قطعه!")
    assert sarcastic.label == "negative"
    assert _effects(sarcastic)["دستتون درد نکنه"] == "sarcasm"
    assert sarcastic.emotions["gratitude"] == 0.0
    assert sarcastic.emotions["anger"] >= 0.5
    sincere = analyzer.analyze("دستتون درد نکنه، درست شد")
    assert sincere.label == "positive"
    assert sincere.emotions["gratitude"] >= 0.5
    assert analyzer.analyze("مرسی که دو بار پولمو کم کردین!").label == "negative"
    assert analyzer.analyze("چه عالی، باز پنل از کار افتاد 🙂").label == "negative"


def test_contrast_weights_the_second_clause(analyzer: LexiconSentimentAnalyzer) -> None:
    assert analyzer.analyze("ممنون از پیگیری ولی هنوز قطعه").label == "negative"
    assert analyzer.analyze("قطع بود ولی الان درست شد، مرسی").label == "positive"
    assert analyzer.analyze("سرعت عالیه اما خیلی گرونه").label == "negative"
    assert "contrast" in _effects(analyzer.analyze("خوبه اما گرونه")).values()


@pytest.mark.parametrize(
    ("text", "label", "signal"),
    [
        ("mersi dorost shod", "positive", None),
        ("kheili bad shode", "negative", None),
        ("ghate", "negative", "outage_report"),
        ("Mersiii, damet garm", "positive", None),
        ("hanooz vasl nemishe", "negative", "outage_report"),
        ("dige tamdid nemikonam", "negative", "threat_to_leave"),
    ],
)
def test_finglish(analyzer: LexiconSentimentAnalyzer, text: str, label: str, signal: str | None) -> None:
    result = analyzer.analyze(text)
    assert result.label == label
    if signal:
        assert signal in result.signals
    for span in result.evidence:  # Finglish evidence points at the Latin words themselves
        assert span.text == text[span.start : span.end]
        assert span.text.isascii()


def test_spelling_variants_and_typos_agree(analyzer: LexiconSentimentAnalyzer) -> None:
    forms = ["وصل نمی‌شه", "وصل نمیشه", "وصل نمی شه", "وصل نمیشع", "وصل نميشه"]
    scores = {analyzer.analyze(f).score for f in forms}
    assert len(scores) == 1
    assert scores.pop() < -0.3
    assert analyzer.analyze("خيلي بد شده").score == analyzer.analyze("خیلی بد شده").score
    assert analyzer.analyze("خییییلی ممنون").label == "positive"
    assert analyzer.analyze("اینترنت قتع شده").label == "negative"  # ت for ط
    assert analyzer.analyze("افضاحه").label == "negative"  # a dropped letter
    assert analyzer.analyze("از دیشب وصلنمیشه").label == "negative"  # a missing space


def test_fuzzy_repair_does_not_invent_negation(analyzer: LexiconSentimentAnalyzer) -> None:
    # «میده» is one letter from «نمیده», «داشتیم» from «نداشتیم»: neither may be read as negated.
    assert analyzer.analyze("سرور ترکیه خیلی خوب جواب میده").label == "positive"
    assert analyzer.analyze("همه کانفیگا کار میکنن").label == "positive"
    assert analyzer.analyze("نماینده شکایت داشت که وصل نمیشه").label == "negative"


def test_threats_to_leave(analyzer: LexiconSentimentAnalyzer) -> None:
    for text in ["میرم سراغ یه پنل دیگه", "دیگه تمدید نمی‌کنم", "یا تا شب درست میشه یا قطع همکاری"]:
        result = analyzer.analyze(text)
        assert result.label == "negative", text
        assert {"threat_to_leave", "churn_signal"} <= set(result.signals), text
    assert "competitor_mention" in analyzer.analyze("میرم سراغ یه پنل دیگه").signals
    assert "threat_to_leave" not in analyzer.analyze("ماه بعد هم تمدید می‌کنم").signals
    assert "renewal_intent" in analyzer.analyze("ماه بعد هم تمدید می‌کنم").signals


@pytest.mark.parametrize(
    "text",
    [
        "پرداخت می‌کنه ولی از قطعی‌های شبانه ناراضی بود",  # raised "talked about leaving"
        "خیلی ناراضیم از سرعت شبانه",
        "از پشتیبانی ناراضیم، دیروز کسی جواب نداد",
        "مشتری‌هام از قطعی شاکین",
        "نارضایتی از سرعت سرور آلمان",
    ],
)
def test_dissatisfaction_alone_is_not_churn_talk(analyzer: LexiconSentimentAnalyzer, text: str) -> None:
    """Churn talk needs an explicit leaving, customers-leaving or competitor signal."""
    result = analyzer.analyze(text)
    assert result.label == "negative", text
    assert not {"churn_signal", "threat_to_leave", "competitor_mention"} & set(result.signals), text


def test_the_conceded_side_of_a_but_is_no_complaint(analyzer: LexiconSentimentAnalyzer) -> None:
    pays = analyzer.analyze("پرداخت می‌کنه ولی از قطعی‌های شبانه ناراضی بود")
    assert "payment_issue" not in pays.signals
    assert "outage_report" in pays.signals
    # After the «ولی» the topic is the complaint itself.
    assert "payment_issue" in analyzer.analyze("پولمو ریختم ولی کیف پولم هنوز صفره، نگرانم").signals


@pytest.mark.parametrize(
    ("text", "signals"),
    [
        ("مشتریام دارن میرن، یه کاری بکنید", {"churn_signal"}),
        ("اگه تا فردا درست نشه میرم سراغ یه پنل دیگه", {"threat_to_leave", "competitor_mention"}),
        ("ناراضیم و ماه بعد تمدید نمی‌کنم", {"threat_to_leave", "churn_signal"}),
    ],
)
def test_real_churn_talk_is_still_caught(
    analyzer: LexiconSentimentAnalyzer, text: str, signals: set[str]
) -> None:
    assert signals <= set(analyzer.analyze(text).signals), text


def test_emoji(analyzer: LexiconSentimentAnalyzer) -> None:
    angry = analyzer.analyze("باز قطع شد 😡😡")
    assert angry.label == "negative"
    assert angry.emotions["anger"] >= 0.5
    thanks = analyzer.analyze("ممنون 🙏")
    assert thanks.label == "positive"
    assert thanks.emotions["gratitude"] >= 0.5
    thumbs = analyzer.analyze("👍")  # emoji alone: kept neutral, low confidence, emotion still shown
    assert thumbs.label == "neutral"
    assert thumbs.confidence <= 0.3
    assert thumbs.score > 0
    assert thumbs.emotions["satisfaction"] > 0


def test_signals_and_questions(analyzer: LexiconSentimentAnalyzer) -> None:
    assert "payment_issue" in analyzer.analyze("کارت به کارت کردم ولی کیف پولم شارژ نشده").signals
    assert "question" in analyzer.analyze("تعرفه پنل ۲۰۰ کاربره چقدره؟").signals
    neutral = analyzer.analyze("تعرفه پنل ۲۰۰ کاربره چقدره؟")
    assert neutral.label == "neutral"
    assert "upsell_signal" in analyzer.analyze("این ماه ۵۰ تا کاربر جدید اضافه کردم").signals
    # a topic word raises its signal only when the clause around it complains
    assert "panel_issue" in analyzer.analyze("پنل از صبح خیلی کنده").signals
    assert "panel_issue" not in analyzer.analyze("پنل جدید عالیه").signals


# ---------------------------------------------------------------------------------------- robustness
@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t ",
        "😀🌀",
        "\x00\x01\x02\x7f\x1b[31m",
        bytes(range(256)).decode("latin-1"),
        "\ud800\udfff lone surrogates",
        "Привет 你好 こんにちは",
        "12345 67890 ۱۲۳ ٤٥٦",
        "\u200c\u200f\u202b\ufeff",
    ],
)
def test_bad_input_is_neutral_and_unsure(analyzer: LexiconSentimentAnalyzer, text: str) -> None:
    result = analyzer.analyze(text)
    assert result.label == "neutral"
    assert result.confidence <= 0.2
    assert set(result.emotions) == set(EMOTIONS)
    assert result.engine == ENGINE


def test_huge_paste_is_capped_and_fast(analyzer: LexiconSentimentAnalyzer) -> None:
    text = ("سلام، سرور آلمان از دیشب قطعه و مشتریام شاکین. " * 1200)[:50_000]
    started = time.perf_counter()
    result = analyzer.analyze(text)
    assert time.perf_counter() - started < 0.5
    assert result.truncated
    assert result.label == "negative"
    assert len(result.evidence) <= 40
    assert all(span.end <= 3000 for span in result.evidence)


def test_mixed_script_message(analyzer: LexiconSentimentAnalyzer) -> None:
    result = analyzer.analyze("کانفیگ VLESS روی Reality با v2rayNG وصل نمیشه، error: handshake timeout")
    assert result.label == "negative"
    assert {"outage_report", "config_issue"} <= set(result.signals)


def test_internal_failure_never_escapes(
    analyzer: LexiconSentimentAnalyzer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object) -> None:
        raise RuntimeError("lexicon bug")

    monkeypatch.setattr("ai.sentiment.engine.compose", boom)
    result = analyzer.analyze("قطعه")
    assert result.label == "neutral"
    assert result.confidence == 0.0


# ---------------------------------------------------------------------------------------- contract
TRICKY = [
    "قطعــــه",  # tatweel
    "مُشکِل داریم، خیلی بَده",  # diacritics
    "ممنون ❤️ دمتون گرم 👍🏽",  # variation selector, skin tone
    "سلام\r\nباز قطع شد!!!\r\n😡",
    "خيلي ممنونم از پيگيري شما",  # Arabic ي
    "\u200fسرور ۲ قطعه\u200f",  # bidi marks, Persian digits
    "mersiii 🙏 server ha ok shodan",
]


def test_evidence_spans_index_into_the_original(analyzer: LexiconSentimentAnalyzer) -> None:
    texts = TRICKY + [item.text for item in load_items(DATA)]
    checked = 0
    for text in texts:
        result = analyzer.analyze(text)
        for span in result.evidence:
            assert 0 <= span.start < span.end <= len(text), (text, span)
            assert text[span.start : span.end] == span.text, (text, span)
            checked += 1
    assert checked > len(texts)  # most texts explain themselves


def test_result_shape(analyzer: LexiconSentimentAnalyzer) -> None:
    result = analyzer.analyze("سرعت عالیه ولی قیمت خیلی گرونه، تا کی باید اینطوری باشه؟")
    assert set(result.emotions) == set(EMOTIONS)
    assert all(0.0 <= v <= 1.0 for v in result.emotions.values())
    assert set(result.signals) <= set(SIGNALS)
    assert result.signals == [s for s in SIGNALS if s in result.signals]  # fixed order
    assert -1.0 <= result.score <= 1.0
    assert 0.0 <= result.confidence <= 1.0
    assert isinstance(analyzer, SentimentAnalyzer)
    assert SentimentResult.model_validate_json(result.model_dump_json()) == result


def test_analyze_many_keeps_order(analyzer: LexiconSentimentAnalyzer) -> None:
    texts = ["افتضاحه", "", "مرسی", "سوال داشتم"]
    assert analyzer.analyze_many(texts) == [analyzer.analyze(t) for t in texts]


def test_confidence_orders_clear_above_mixed(analyzer: LexiconSentimentAnalyzer) -> None:
    clear = analyzer.analyze("خیلی افتضاحه، باز قطع شد")
    mixed = analyzer.analyze("سرعت خوبه ولی یکم قطعی داره")
    assert clear.confidence > mixed.confidence


# ---------------------------------------------------------------------------------------- data and quality
def test_dataset_is_well_formed() -> None:
    items = load_items(DATA)
    assert len(items) >= 400
    assert len({i.id for i in items}) == len(items)
    assert len({i.text for i in items}) == len(items)
    hard = sum(i.hard for i in items) / len(items)
    assert 0.3 <= hard <= 0.45
    per_split = Counter((i.split, i.label) for i in items)
    for label in ("positive", "neutral", "negative"):
        dev, test = per_split["dev", label], per_split["test", label]
        assert abs(dev - test) <= 2, (label, dev, test)
    assert {i.phenomenon for i in items} >= {
        "negation",
        "sarcasm",
        "mixed",
        "finglish",
        "typo",
        "polite_complaint",
    }


def test_quality_on_the_test_split(analyzer: LexiconSentimentAnalyzer) -> None:
    report = evaluate(analyzer, load_items(DATA, "test"))
    assert report.n >= 200
    assert report.macro_f1 >= 0.80, report.summary()
    assert report.hard_macro_f1 >= 0.70, report.summary()
    assert report.emotion_macro_f1 >= 0.5, report.summary()
    assert sum(sum(row.values()) for row in report.confusion.values()) == report.n


class _Fixed:
    """An engine that answers from a table, to check the metric arithmetic."""

    def __init__(self, answers: dict[str, str]) -> None:
        self._answers = answers
        self._inner = LexiconSentimentAnalyzer()

    @property
    def engine(self) -> str:
        return "fixed"

    def analyze(self, text: str) -> SentimentResult:
        return self._inner.analyze(text).model_copy(update={"label": self._answers[text]})

    def analyze_many(self, texts: Sequence[str]) -> list[SentimentResult]:
        return [self.analyze(t) for t in texts]


def test_evaluate_arithmetic() -> None:
    items = [
        EvalItem(id="1", text="a", label="positive"),
        EvalItem(id="2", text="b", label="positive", hard=True),
        EvalItem(id="3", text="c", label="negative"),
        EvalItem(id="4", text="d", label="neutral", hard=True),
    ]
    report = evaluate(_Fixed({"a": "positive", "b": "negative", "c": "negative", "d": "neutral"}), items)
    assert report.engine == "fixed"
    assert report.accuracy == 0.75
    assert report.confusion["positive"] == {"positive": 1, "neutral": 0, "negative": 1}
    # positive: P=1, R=.5 → F1=.667; negative: P=.5, R=1 → .667; neutral: 1 → macro .7778
    assert report.macro_f1 == pytest.approx(0.7778, abs=1e-4)
    assert report.hard_n == 2
    assert report.hard_accuracy == 0.5
    assert [m.id for m in report.misses] == ["2"]
    perfect = evaluate(_Fixed({"a": "positive", "b": "positive", "c": "negative", "d": "neutral"}), items)
    assert perfect.macro_f1 == 1.0
    assert perfect.hard_macro_f1 == 1.0
