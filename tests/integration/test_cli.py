from __future__ import annotations

from sqlalchemy import select

from coop.auth.models import User


def test_create_admin_and_refuse_a_taken_login(runner, session) -> None:  # type: ignore[no-untyped-def]
    ok = runner.invoke(args=["coop", "create-admin", "--name", "Админ", "--login",
                             "boss@example.org", "--password", "admin-password"])
    assert ok.exit_code == 0, ok.output
    admin = session.scalar(select(User).where(User.email == "boss@example.org"))
    assert admin is not None and admin.is_admin and admin.password_hash != "admin-password"
    again = runner.invoke(args=["coop", "create-admin", "--name", "X", "--login",
                                "boss@example.org", "--password", "admin-password"])
    assert again.exit_code != 0 and "already" in again.output
    short = runner.invoke(args=["coop", "create-admin", "--name", "X", "--login",
                                "+996555000999", "--password", "short"])
    assert short.exit_code != 0 and "at least 8" in short.output
    assert "Traceback" not in short.output


def test_demo_command_prints_logins_and_is_idempotent(runner) -> None:  # type: ignore[no-untyped-def]
    first = runner.invoke(args=["coop", "demo"])
    assert first.exit_code == 0 and "mairam@coop.example" in first.output
    second = runner.invoke(args=["coop", "demo"])
    assert second.exit_code == 0 and "already present" in second.output
