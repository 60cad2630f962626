"""Articles are written in Markdown and shown as HTML that can do nothing but be read.

Two layers, so that a mistake in one is caught by the other:
1. markdown-it-py renders CommonMark (plus tables and strikethrough) with raw HTML turned
   off: a `<script>` or `<img onerror=...>` typed in the Markdown comes out as text, and
   links whose scheme it does not trust (`javascript:`, `vbscript:`, `data:` other than
   images, `file:`) are not made links at all;
2. nh3 (ammonia) then keeps only the tags and attributes listed here, drops every
   event attribute and every link scheme but http, https and mailto, and marks links
   `rel="noopener noreferrer"`.
"""

from __future__ import annotations

import math
import re

import nh3
from markdown_it import MarkdownIt

# "#" is the article's title on its page, so an article's own headings start at level 2.
ALLOWED_TAGS = frozenset({
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
})
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})

WORDS_PER_MINUTE = 200  # a comfortable pace for reading on a screen

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]
)
_WORD = re.compile(r"[\w\u2019'-]+")


def render_markdown(text: str) -> str:
    """Safe HTML for the Markdown `text` of an article."""
    html = _markdown.render(text)
    return nh3.clean(html, tags=set(ALLOWED_TAGS), attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
                     url_schemes=set(URL_SCHEMES), link_rel="noopener noreferrer", strip_comments=True)


def reading_minutes(text: str) -> int:
    """Whole minutes to read `text` at WORDS_PER_MINUTE, at least one."""
    return max(1, math.ceil(len(_WORD.findall(text)) / WORDS_PER_MINUTE))
