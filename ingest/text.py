"""Vacancy text: HTML to plain text, and plain text to sentences (Dutch and English).

Job sites publish descriptions as HTML with lists and headings; a list item or a heading is a
unit of meaning of its own, so block elements become line breaks and every line break ends a
sentence. Within a line, a sentence ends at . ! ? followed by a space and a capital, digit or
bullet, unless the dot belongs to a known abbreviation ("bijv.", "o.a.", "e.g.", ...).
"""
from __future__ import annotations

import html
import re
from html.parser import HTMLParser

_BLOCK_TAGS = {
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table",
    "section", "article", "header", "footer", "blockquote", "dd", "dt", "dl", "hr", "pre",
}
_SKIP_TAGS = {"script", "style", "noscript", "template", "head"}


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_depth = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in _SKIP_TAGS:
            self._skip_depth += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            # In HTML a line break inside text is plain whitespace; only block elements break lines.
            self.parts.append(" ".join(data.split("\n")))


def html_to_text(markup: str) -> str:
    """Plain text with one line per block element; entities decoded, whitespace collapsed."""
    collector = _TextCollector()
    collector.feed(markup)
    collector.close()
    raw = html.unescape("".join(collector.parts)).replace("\xa0", " ")
    lines = (" ".join(line.split()) for line in raw.splitlines())
    return "\n".join(line for line in lines if line)


_ABBREVIATIONS = {
    # Dutch
    "bijv", "bv", "o.a", "m.b.t", "t.a.v", "i.v.m", "d.w.z", "z.s.m", "incl", "excl", "ca",
    "evt", "t.m", "m.u.v", "enz", "etc", "dhr", "mevr", "nr", "resp", "vs", "zgn", "jl",
    # English
    "e.g", "i.e", "etc", "approx", "dept", "mr", "mrs", "ms", "dr", "prof", "inc", "ltd",
    "jr", "sr", "vs", "esp", "a.o",
}
_LINE_BULLET = re.compile(r"^\s*(?:[-*•·▪◦●–—]+|\d+[.)])\s+")
# Candidate boundary: sentence punctuation, whitespace, then something that can start a sentence.
_BOUNDARY = re.compile(r"([.!?…]+)[\"')\]]?\s+(?=[A-Z0-9À-Ý\"'(•\-*])")


def _ends_with_abbreviation(text: str) -> bool:
    word = text.rsplit(None, 1)[-1] if text.strip() else ""
    word = word.rstrip(".").lstrip("(\"'").casefold()
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def split_line(line: str) -> list[str]:
    sentences, start = [], 0
    for match in _BOUNDARY.finditer(line):
        if match.group(1) == "." and _ends_with_abbreviation(line[start:match.start() + 1]):
            continue
        sentences.append(line[start:match.end()].strip())
        start = match.end()
    sentences.append(line[start:].strip())
    return [s for s in sentences if s]


def split_sentences(text: str) -> list[str]:
    """Sentences of a plain text; list bullets are stripped, every line break ends a sentence."""
    out = []
    for line in text.splitlines():
        line = _LINE_BULLET.sub("", line).strip()
        if line:
            out.extend(split_line(line))
    return out


def looks_like_html(text: str) -> bool:
    return bool(re.search(r"<\s*/?\s*[a-zA-Z][a-zA-Z0-9]*(\s[^<>]*)?/?\s*>", text))


def description_sentences(description: str) -> list[str]:
    """Sentences of a vacancy description given as HTML or plain text."""
    text = html_to_text(description) if looks_like_html(description) else description
    return split_sentences(text)
