"""The templates' _() and ngettext() find the translations once per locale and
request (coop.i18n._translations): they must still speak the language of the
moment."""

from __future__ import annotations

from flask import Flask
from flask_babel import force_locale, gettext, ngettext

PLURAL = ("%(num)d product cannot be ordered as typed: see the marked line. Nothing was "
          "saved.", "%(num)d products cannot be ordered as typed: see the marked lines. "
          "Nothing was saved.")


def test_a_template_speaks_the_language_of_the_moment(app: Flask) -> None:
    """A language forced for a part of a page (a member's text in her own) is
    spoken there, and the request's own again after it; plural forms follow."""
    page = app.jinja_env.from_string(
        "{{ _('Sign out') }}|{{ ngettext(singular, plural, n) }}")

    def expected(n: int) -> str:  # Flask-Babel's own gettext, not the templates'
        return f"{gettext('Sign out')}|{ngettext(*PLURAL, n)}"

    def shown(n: int) -> str:
        return page.render(singular=PLURAL[0], plural=PLURAL[1], n=n)

    with app.test_request_context("/", headers={"Accept-Language": "ru"}):
        russian = expected(5)
        assert shown(5) == russian and "Выйти" in russian and "5" in russian
        assert shown(1) == expected(1) != russian.replace("5", "1")
        seen = {russian}
        for locale in ("ky", "tg", "en"):
            with force_locale(locale):
                assert shown(5) == expected(5)
                seen.add(shown(5))
            assert shown(5) == russian
        assert len(seen) == 4  # four languages, four texts
