"""Estimating text widths and wrapping labels, for Chinese and Latin text alike.

The server has no font metrics, so widths are estimated: CJK and full-width characters are one em
wide, Latin letters and digits a little over half an em. Chinese text may break between any two
characters, except that a line never starts with closing punctuation (，。）》…) nor ends with
opening punctuation (（《“…); Latin words break at spaces and only when a word alone is too long.
"""

from __future__ import annotations

import unicodedata

_NO_LINE_START = set("，。、；：！？）》」』】〕”’·…,.;:!?)]}%")
_NO_LINE_END = set("（《「『【〔“‘([{")
_NARROW = set("il.,:;'|!`")


def char_width(ch: str, size: float) -> float:
    """Estimated advance width of one character at font size ``size``."""
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return size
    if ch in _NARROW:
        return size * 0.3
    if ch.isupper() or ch in "mwMW@%":
        return size * 0.7
    return size * 0.56


def text_width(text: str, size: float) -> float:
    return sum(char_width(ch, size) for ch in text)


def _tokens(text: str) -> list[str]:
    """Split into breakable units: single CJK characters, Latin words (with their trailing space)."""
    tokens: list[str] = []
    word = ""
    for ch in text:
        wide = unicodedata.east_asian_width(ch) in ("W", "F")
        if wide or ch.isspace():
            if word:
                tokens.append(word)
                word = ""
            tokens.append(ch)
        else:
            word += ch
    if word:
        tokens.append(word)
    return tokens


def _split_long(token: str, width: float, size: float) -> list[str]:
    parts, current = [], ""
    for ch in token:
        if current and text_width(current + ch, size) > width:
            parts.append(current)
            current = ch
        else:
            current += ch
    return parts + ([current] if current else [])


def wrap(text: str, width: float, size: float) -> list[str]:
    """Break ``text`` into lines no wider than ``width`` (explicit newlines are kept)."""
    lines: list[str] = []
    for paragraph in (text or "").replace("\r\n", "\n").split("\n"):
        current = ""
        for token in _tokens(paragraph):
            if token.isspace() and not current:
                continue
            candidate = current + token
            if text_width(candidate.rstrip(), size) <= width or not current.strip():
                if text_width(token, size) > width and not current.strip():
                    pieces = _split_long(token, width, size)
                    lines.extend(pieces[:-1])
                    current = pieces[-1]
                else:
                    current = candidate
                continue
            # Kinsoku: pull a closing mark back onto this line, push an opening mark to the next.
            if token in _NO_LINE_START:
                current += token
                continue
            carry = ""
            while current and current[-1] in _NO_LINE_END:
                carry = current[-1] + carry
                current = current[:-1]
            lines.append(current.rstrip())
            current = carry + ("" if token.isspace() else token)
        lines.append(current.rstrip())
    while lines and not lines[-1]:
        lines.pop()
    return lines


def fit(text: str, width: float, height: float, size: float, line_height: float) -> list[str]:
    """Wrap to ``width`` and cut to the lines that fit in ``height``, ending the last with an ellipsis."""
    lines = wrap(text, width, size)
    room = max(1, int(height // line_height))
    if len(lines) <= room:
        return lines
    kept = lines[:room]
    last = kept[-1]
    while last and text_width(last + "…", size) > width:
        last = last[:-1]
    kept[-1] = last + "…"
    return kept
