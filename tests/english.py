"""English (the source language) left on a Russian, Kyrgyz or Tajik page or
PDF: any message of the catalog whose English text shows verbatim."""

from __future__ import annotations

import html
import re
from functools import lru_cache
from pathlib import Path

from babel.messages.pofile import read_po

CATALOG = Path(__file__).resolve().parents[1] / "coop" / "translations" / "ru" / "LC_MESSAGES" \
    / "messages.po"
# Words that are the same in every language here (names, codes, units of the API)
SAME = {"Coop", "API", "CSV", "PDF", "E.164"}


@lru_cache(maxsize=1)
def english_pieces() -> tuple[str, ...]:
    """The fixed parts of every msgid (between its placeholders) that are
    English words enough not to be a name: two words, eight letters."""
    with CATALOG.open("rb") as fh:
        catalog = read_po(fh, locale="ru")
    pieces = set()
    for message in catalog:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        for msgid in ids:
            if not msgid:
                continue
            for part in re.split(r"%\(\w+\)[sd]|%[sd]|\n", msgid):
                part = part.strip(" .,:;()«»“”\"'—-")
                if (len(re.findall(r"[A-Za-z]", part)) >= 8 and " " in part
                        and part not in SAME):
                    pieces.add(part)
    return tuple(sorted(pieces, key=len, reverse=True))


def visible_text(page: str) -> str:
    page = re.sub(r"<(script|style|title)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r"<[^>]+>", " ", page)
    return re.sub(r"\s+", " ", html.unescape(page))


LATIN_WORDS = re.compile(r"(?<![\w@/.-])[A-Za-z]+(?:[ ,:;()'’-]+[A-Za-z]+)+(?![\w@/-])")


def english_in(text: str) -> list[str]:
    """Messages of the catalog in English, and any other run of English words
    (a string the catalog does not hold, built in an f-string, say)."""
    text = re.sub(r"\s+", " ", text)
    found = [piece for piece in english_pieces() if piece in text]
    for words in LATIN_WORDS.findall(text):
        letters = re.findall(r"[a-z]", words)
        lower_words = re.findall(r"\b[a-z]+", words)
        # not brand names (SMS, WhatsApp) nor a line of CSV (name;unit), nor a
        # random code (a lot's trace code, "zevx-afLMvEibyfz": one token, with
        # a capital inside a word)
        code = " " not in words and re.search(r"[a-z][A-Z]", words)
        if (len(letters) >= 6 and len(lower_words) >= 2 and ";" not in words and not code
                and not any(words in piece for piece in found)):
            found.append(words)
    return found
