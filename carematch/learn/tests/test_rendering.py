"""Article Markdown becomes HTML that can only be read: raw HTML, event attributes and
unsafe link schemes come out inert, on the page as in the renderer."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carematch.learn.rendering import reading_minutes, render_markdown

from .factories import article


def test_a_script_tag_comes_out_as_text():
    html = render_markdown("Hello <script>alert('x')</script> there")
    assert "<script" not in html
    assert "&lt;script&gt;" in html


def test_an_onerror_attribute_comes_out_as_text():
    html = render_markdown('<img src="x" onerror="alert(1)">\n\n<p onclick="steal()">hi</p>')
    assert "<img" not in html and "<p onclick" not in html
    assert "onerror=" not in html.replace("&quot;", '"').split("&lt;img", 1)[0]


@pytest.mark.parametrize("link", [
    "[click](javascript:alert(1))", "[click](JaVaScRiPt:alert(1))", "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD4=)", "<javascript:alert(1)>", "[click](  javascript:alert(1))",
    '<a href="javascript:alert(1)">click</a>',
])
def test_unsafe_links_are_never_links(link):
    html = render_markdown(link)
    assert not re.search(r"<a\s[^>]*href", html), html


def test_safe_markdown_keeps_its_structure_and_links_open_safely():
    html = render_markdown("## Steps\n\n1. **Breathe** in\n2. [Read more](https://example.org/a)\n")
    assert "<h2>Steps</h2>" in html and "<strong>Breathe</strong>" in html
    assert '<a href="https://example.org/a" rel="noopener noreferrer">Read more</a>' in html


@given(st.text(max_size=300))
def test_no_input_gives_a_script_or_an_event_attribute(text):
    html = render_markdown(text).lower()
    assert "<script" not in html
    assert not any(f" on{name}=" in html for name in ("error", "click", "load", "mouseover"))
    assert not re.search(r'href="\s*(?:javascript|vbscript|data|file):', html)


def test_reading_time_is_counted_from_the_text():
    assert reading_minutes("word " * 10) == 1
    assert reading_minutes("word " * 401) == 3


@pytest.mark.django_db
def test_the_article_page_shows_the_script_as_text(client):
    article(slug="unsafe", body="<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[x](javascript:alert(1))")
    page = client.get("/learn/unsafe/").content.decode()
    body = page.split('class="article-body">', 1)[1].split("</div>", 1)[0]
    assert "<script" not in body and "<img" not in body and not re.search(r"<a\s[^>]*href", body)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
