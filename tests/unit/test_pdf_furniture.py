"""Every page's header and footer (coop.documents.pdf): a long title or group
name is shortened, never the document's number."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader

from coop.documents import pdf


def _text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return re.sub(r"\s+", " ", " ".join(p.extract_text() or "" for p in reader.pages))


def test_a_long_title_and_group_name_keep_the_number_whole() -> None:
    # as a walk in Kyrgyz found it: «Убакыт банкы: сунуштар жана өтүнүчтөр TB-BO…»
    title = "Убакыт банкы: сунуштар жана өтүнүчтөр, ушул айдын баардыгы"
    group = "Светлая Поляна — группа солидарных производителей " * 3
    meta = pdf.PageMeta(group_name=group.strip(), group_place="Иссык-Куль",
                        title=title, reference="TB-BOARD-2026-0042", date="07.12.2026",
                        page_label="%(page)d / %(pages)d")
    text = _text(pdf.render(meta, [pdf.gap()]))
    assert text.count("TB-BOARD-2026-0042") == 2, text  # the header and the footer
    assert "Убакыт банкы" in text and "…" in text, text  # the title shortened instead
