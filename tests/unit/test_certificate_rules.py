"""The rules of certificates and labels (coop.certificates.domain), pure."""

from __future__ import annotations

from datetime import date

from coop.certificates import domain

CERT = domain.CertificateFacts("KG-1", date(2026, 1, 1), date(2026, 12, 31),
                               frozenset({domain.product_key("Варенье из абрикосов")}),
                               frozenset({1, 2, 3}))


def reasons(cert=CERT, product="Варенье из абрикосов", dates=(date(2026, 6, 1),),  # type: ignore[no-untyped-def]
            members=(1, 2)):
    return [r.reason for r in domain.eligibility(cert, product=product, dates=dates,
                                                 contributors=members)]


def test_a_covered_lot_on_a_valid_date_may_carry_the_certificate() -> None:
    assert reasons() == []


def test_product_names_compare_without_case_spaces_or_yo() -> None:
    assert reasons(product="  варенье ИЗ  абрикосов ") == []
    assert domain.product_key("Мёд") == domain.product_key("мед")


def test_a_product_out_of_scope_is_refused() -> None:
    assert reasons(product="Варенье из облепихи") == ["product"]


def test_a_sale_after_expiry_or_before_validity_is_refused() -> None:
    assert reasons(dates=(date(2027, 1, 1),)) == ["expired"]
    assert reasons(dates=(date(2025, 12, 31),)) == ["not_yet"]
    assert reasons(dates=(date(2026, 12, 31), date(2026, 1, 1))) == []


def test_every_contributing_member_must_be_covered() -> None:
    refusals = domain.eligibility(CERT, product="Варенье из абрикосов", dates=[],
                                  contributors=[1, 4, 5])
    assert [(r.reason, r.member_ids) for r in refusals] == [("member", (4, 5))]


def test_no_certificate_says_so() -> None:
    assert reasons(cert=None) == ["no_certificate"]


def test_all_reasons_are_given_at_once() -> None:
    assert reasons(product="Мёд", dates=(date(2027, 2, 1),), members=(9,)) == [
        "product", "expired", "member"]


def test_reminders_come_60_and_14_days_before_the_end() -> None:
    end = date(2026, 12, 31)
    assert domain.reminder_due(end, date(2026, 10, 1)) is None
    assert domain.reminder_due(end, date(2026, 11, 1)) == 60
    assert domain.reminder_due(end, date(2026, 12, 17)) == 14
    assert domain.reminder_due(end, date(2027, 1, 1)) == 0


def test_a_pdf_is_recognised_by_its_signature_and_its_end() -> None:
    assert domain.is_pdf(b"%PDF-1.4\n...\n%%EOF\n")
    assert not domain.is_pdf(b"MZ\x90\x00 an executable")
    assert not domain.is_pdf(b"%PDF-1.4 cut short")


def test_logos_are_png_or_jpeg() -> None:
    assert domain.image_kind(b"\x89PNG\r\n\x1a\n....") == "png"
    assert domain.image_kind(b"\xff\xd8\xff\xe0....") == "jpeg"
    assert domain.image_kind(b"<svg onload=alert(1)>") is None


def test_label_sizes_fit_an_a4_sheet() -> None:
    for size in domain.LABEL_SIZES.values():
        assert size.columns * size.width_mm <= 210
        assert size.rows * size.height_mm <= 297
