"""The emulator reads parse_mode=HTML the way Telegram (TDLib's parse_html) does, errors included."""

from __future__ import annotations

import pytest

from chronos.emulators.telegram_models import ApiError
from chronos.emulators.telegram_text import render


def html(text: str) -> tuple[str, list[dict[str, object]]]:
    return render(text, "HTML", None, limit=4096, empty="message text is empty", too_long="too long")


def refusal(text: str) -> str:
    with pytest.raises(ApiError) as caught:
        html(text)
    assert caught.value.status == 400
    prefix = "Bad Request: can't parse entities: "
    assert caught.value.description.startswith(prefix)
    return caught.value.description.removeprefix(prefix)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        # Python's html.parser keeps all of these as text; Telegram refuses them.
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("< b", 'Unsupported start tag "" at byte offset 0'),
        ("x <= y", 'Unsupported start tag "=" at byte offset 2'),
        ("1<2 و 3>2", 'Unsupported start tag "2" at byte offset 1'),
        ("<3", "Unclosed start tag at byte offset 0"),
        ("a<b", "Unclosed start tag at byte offset 1"),
        ("ends with <", "Unclosed start tag at byte offset 10"),
        ("<!-- note -->", 'Unsupported start tag "!--" at byte offset 0'),
        ("a </ b", "Unexpected end tag at byte offset 2"),
        # Offsets count UTF-8 bytes: a Persian letter or digit is two.
        ("زیر ۵ <ms", "Unclosed start tag at byte offset 10"),
        ("سرویس <br>", 'Unsupported start tag "br" at byte offset 11'),
        ("<a href", 'Unclosed start tag "a" at byte offset 0'),
        ('<a href="x"', "Unclosed start tag at byte offset 0"),
        ('<a ="x">y</a>', 'Empty attribute name in the tag "a" at byte offset 0'),
        ("<a href=x/>y</a>", "Unexpected end of name token at byte offset 8"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("<b>x</b", "Unclosed end tag at byte offset 4"),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ('<tg-emoji emoji-id="x">y</tg-emoji>', "Invalid custom emoji identifier specified"),
        (
            "&#xD83D;",
            "Text contains invalid Unicode characters after decoding HTML entities, check for unmatched "
            "surrogate code units",
        ),
    ],
)
def test_what_telegram_refuses_is_refused(text: str, error: str) -> None:
    assert refusal(text) == error


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("a &lt; b", "a < b"),
        ("&lt;&gt;&amp;&quot;", '<>&"'),
        ("&lt&gt", "<>"),
        ("&#65;&#x42;&#67", "ABC"),
        ("Tom & Jerry > Spike", "Tom & Jerry > Spike"),
        ("&nbsp; and &copy;", "&nbsp; and &copy;"),  # only four named references exist
        ("<B>V2Ray</B>", "V2Ray"),
        ("<b >x</b >", "x"),
        ("<b>x</>", "x"),
    ],
)
def test_references_and_lenient_tags(text: str, plain: str) -> None:
    assert html(text)[0] == plain


def test_language_of_code_inside_pre_goes_on_the_pre_entity() -> None:
    text, entities = html(
        '<pre><code class="language-python">x = 1</code></pre>\n<code class="language-go">y</code>'
    )

    assert text == "x = 1\ny"
    assert entities == [
        {"type": "pre", "offset": 0, "length": 5, "language": "python"},
        {"type": "code", "offset": 6, "length": 1},  # a language counts only inside pre
    ]


def test_pre_and_code_hold_no_other_entities() -> None:
    assert html("<pre><code>z</code></pre>")[1] == [{"type": "pre", "offset": 0, "length": 1}]
    assert html("<code><b>x</b>y</code>")[1] == [{"type": "code", "offset": 0, "length": 2}]
    # The language is kept only when the code spans the whole pre.
    assert html('<pre>a<code class="language-py">b</code></pre>')[1] == [
        {"type": "pre", "offset": 0, "length": 2}
    ]


def test_links_spoilers_quotes_and_utf16_offsets() -> None:
    text, entities = html(
        '😀 <a href="https://example.com/?a=1&amp;b=2">سایت</a> <a>https://t.me/x</a>'
        '<span class="tg-spoiler">s</span><tg-spoiler>t</tg-spoiler>'
        "<blockquote>q</blockquote><blockquote expandable>e</blockquote>"
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>'
    )

    assert text == "😀 سایت https://t.me/xstqe👍"
    assert sorted(entities, key=lambda e: int(str(e["offset"]))) == [
        {"type": "text_link", "offset": 3, "length": 4, "url": "https://example.com/?a=1&b=2"},
        {"type": "text_link", "offset": 8, "length": 14, "url": "https://t.me/x"},
        {"type": "spoiler", "offset": 22, "length": 1},
        {"type": "spoiler", "offset": 23, "length": 1},
        {"type": "blockquote", "offset": 24, "length": 1},
        {"type": "expandable_blockquote", "offset": 25, "length": 1},
        {"type": "custom_emoji", "offset": 26, "length": 2, "custom_emoji_id": "5368324170671202286"},
    ]


def test_empty_tags_make_no_entity_and_an_all_markup_text_is_empty() -> None:
    assert html("<b></b>x<i></i>") == ("x", [])
    with pytest.raises(ApiError, match="message text is empty"):
        html("<b> </b>")
