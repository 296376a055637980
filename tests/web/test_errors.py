from __future__ import annotations

from flask import Flask

from coop import create_app
from coop.config import testing_config


def test_unexpected_error_gets_a_500_page_in_the_users_language(tmp_path) -> None:  # type: ignore[no-untyped-def]
    app: Flask = create_app({**testing_config(f"sqlite:///{tmp_path / 'x.sqlite'}"),
                             "PROPAGATE_TEST_ERRORS": False})

    @app.get("/boom")
    def boom():  # type: ignore[no-untyped-def]
        raise RuntimeError("broken on purpose")

    response = app.test_client().get("/boom", headers={"Accept-Language": "ru"})
    assert response.status_code == 500
    text = response.get_data(as_text=True)
    assert "broken on purpose" not in text and "Traceback" not in text
    assert '<html lang="ru">' in text
    assert "<h1>" in text and "Something went wrong" not in text  # translated


def test_api_errors_are_json(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["status"] == 404


def test_method_not_allowed_is_a_page_not_a_crash(client) -> None:  # type: ignore[no-untyped-def]
    response = client.delete("/login")
    assert response.status_code == 405


def test_ids_beyond_64_bits_are_not_found(client) -> None:  # type: ignore[no-untyped-def]
    from coop.extensions import db
    from tests.conftest import login
    from tests.factories import make_group, make_member

    group = make_group(db.session)
    member = make_member(db.session, group, role="treasurer")
    db.session.commit()
    login(client, member.user.email)
    for url in ("/groups/99999999999999999999999",
                f"/groups/{group.id}/rounds/99999999999999999999999",
                f"/groups/{group.id}/accounts/9223372036854775808"):
        assert client.get(url).status_code == 404, url
