"""WTForms' own messages (a required field, a choice not offered) come in the
page's language, as Flask-WTF gives them, from a catalog read from disk once
per language and process (coop/forms.py), not once per request."""

from __future__ import annotations

from typing import Any

import pytest
from babel import support
from flask import Flask
from flask_babel import force_locale
from wtforms import StringField
from wtforms.validators import DataRequired

from coop import forms


class _Named(forms.Form):
    name = StringField("name", validators=[DataRequired()])


def _errors(app: Flask, locale: str) -> list[str]:
    with app.test_request_context(method="POST", data={"name": ""}), force_locale(locale):
        form = _Named(meta={"csrf": False})
        assert not form.validate()
        return list(form.name.errors)


def test_wtforms_messages_are_in_the_pages_language_from_a_catalog_read_once(
        app_ctx: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    forms._wtforms_catalog.cache_clear()
    loads: list[Any] = []
    real = support.Translations.load

    def counted(*args: Any, **kwargs: Any) -> Any:
        loads.append(kwargs.get("domain"))
        return real(*args, **kwargs)

    monkeypatch.setattr(support.Translations, "load", counted)
    assert _errors(app_ctx, "ru") == ["Обязательное поле."]
    assert _errors(app_ctx, "ru") == ["Обязательное поле."]  # another request
    assert _errors(app_ctx, "en") == ["This field is required."]
    assert loads.count("wtforms") == 2  # once for Russian, once for English


def test_without_wtforms_i18n_the_messages_are_wtforms_own(
        app_ctx: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app_ctx.config, "WTF_I18N_ENABLED", False)
    assert _errors(app_ctx, "ru") == ["This field is required."]
