"""Markdown to safe HTML: the one rule for articles, comments, questions and answers.

markdown-it-py with raw HTML off parses; nh3 (an allow-list sanitizer) then keeps only the
tags, attributes and URL schemes below, and gives every link rel="nofollow ugc noopener".
Two levels: ARTICLE (headings, images, tables: written by staff) and COMMENT (a subset for
the public: paragraphs, emphasis, links, lists, quotes, code).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import nh3
from markdown_it import MarkdownIt

URL_SCHEMES = {"http", "https", "mailto"}
COMMENT_TAGS = {"p", "br", "em", "strong", "a", "code", "pre", "blockquote", "ul", "ol", "li"}
ARTICLE_TAGS = COMMENT_TAGS | {"h2", "h3", "h4", "hr", "img", "table", "thead", "tbody", "tr",
                               "th", "td"}  # fmt: skip


@dataclass(frozen=True, eq=False)  # compared (and hashed) by identity: two fixed levels
class Level:
    tags: frozenset
    attributes: dict
    disabled_rules: tuple


COMMENT = Level(
    tags=frozenset(COMMENT_TAGS),
    attributes={"a": {"href"}},
    disabled_rules=("heading", "lheading", "image", "table", "hr"),
)
ARTICLE = Level(
    tags=frozenset(ARTICLE_TAGS),
    attributes={"a": {"href", "title"}, "img": {"src", "alt", "title"}, "th": {"scope"}},
    disabled_rules=(),
)
_LINK = re.compile(r"<a\s", re.IGNORECASE)


def _parser(level: Level) -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    if level.disabled_rules:
        parser.disable(list(level.disabled_rules), ignoreInvalid=True)
    return parser


_PARSERS = {COMMENT: _parser(COMMENT), ARTICLE: _parser(ARTICLE)}


def markdown_html(text: str, *, level: Level = COMMENT) -> str:
    """Safe HTML for `text`: whatever it contains, no script, handler or foreign scheme."""
    html = _PARSERS[level].render(text or "")
    return nh3.clean(
        html,
        tags=set(level.tags),
        attributes={tag: set(names) for tag, names in level.attributes.items()},
        url_schemes=URL_SCHEMES,
        link_rel="nofollow ugc noopener",
        strip_comments=True,
    ).strip()


def link_count(html: str) -> int:
    """Links in rendered HTML (the comment form caps them)."""
    return len(_LINK.findall(html))
