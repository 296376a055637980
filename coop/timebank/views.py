"""The time bank's pages: the notice board, her balance and statement,
recording help (received, given), her pending list; for the coordinator the
register (one line per paper slip), batch entry, CSV import, reversals,
settings, reports and documents. Views are thin: a form, a service, one
commit, a redirect."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

from flask import Blueprint, Response, abort, flash, g, redirect, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from coop.csv_export import csv_bytes, csv_date
from coop.errors import DomainError
from coop.extensions import db
from coop.forms import apply_domain_error, choices
from coop.groups.access import member_in_group
from coop.groups.models import Membership
from coop.i18n import current_locale, date_pattern, fmt_date, fmt_month, local_today
from coop.ledger.views import once
from coop.timebank import builders, domain
from coop.timebank import services as tb
from coop.timebank.access import timebank_view
from coop.timebank.forms import (
    BATCH_LINES,
    MAX_UPLOAD_BYTES,
    BatchForm,
    CoordinatorsForm,
    ImportForm,
    PostForm,
    RecordForm,
    RegisterForm,
    RejectForm,
    ReverseForm,
    SettingsForm,
)
from coop.timebank.models import TimeBankSettings, TimeTransfer
from coop.views import pdf_response, render_then_commit

bp = Blueprint("timebank", __name__, template_folder="templates")
PER_PAGE = 50


@bp.app_template_filter("hours")
def hours_filter(minutes: int | None) -> str:
    return tb.fmt_minutes(minutes)


def _settings(*, coordinator_may_open: bool = False) -> TimeBankSettings | None:
    settings = tb.settings_of(db.session, g.group)
    if settings is None or not settings.enabled:
        if coordinator_may_open and g.is_treasurer:  # she opens it in the settings
            return None
        abort(404)
    return settings


def _page(template: str, status: int = 200, **context: object):  # type: ignore[no-untyped-def]
    return render_then_commit(f"timebank/{template}", group=g.group, **context), status


def _category_choices(form_field, empty: bool = True) -> None:  # type: ignore[no-untyped-def]
    locale = current_locale()
    pairs = [(str(c.id), c.name(locale)) for c in tb.categories(db.session)]
    form_field.choices = choices(([("", "—")] if empty else []) + pairs)


def _member_choices(exclude: int | None = None) -> list:  # type: ignore[type-arg]
    numbers = tb.number_of(db.session, g.group)
    members = db.session.scalars(select(Membership).where(
        Membership.group_id == g.group.id, Membership.active.is_(True))
        .order_by(Membership.id)).all()
    return choices([("", "—")] + [(str(m.id), f"№{numbers[m.id]} · {m.user.name}")
                                  for m in members if m.id != exclude])


def _same_help(line: tb.Line | None) -> str | None:
    """The question before recording help like one recorded in the last 24 h."""
    if line is None:
        return None
    found = tb.recent_transfer(db.session, g.group, line)
    if found is None:
        return None
    [row] = tb.transfer_rows(db.session, g.group, where=[TimeTransfer.id == found.id])
    # «записана 07.12.2026 в 13:24»: the day and the hour each where the language puts them
    return _("The same help (%(payee)s helped %(payer)s, %(time)s on %(date)s) was recorded "
             "on %(day)s at %(hour)s as №%(number)d. Record another?", payee=row.payee,
             payer=row.payer, time=tb.fmt_minutes(found.minutes),
             date=fmt_date(found.date_of_service),
             day=format_datetime(found.created_at, date_pattern()),
             hour=format_datetime(found.created_at, "HH:mm"), number=found.number)


def _quiet(build):  # type: ignore[no-untyped-def]
    """A line for the question only: None when it cannot be built (the
    service then refuses it with its own words)."""
    try:
        return build()
    except DomainError:
        return None


def _membership_or_404(membership_id: int) -> Membership:
    if not g.is_coordinator and (g.membership is None or g.membership.id != membership_id):
        abort(404)
    return member_in_group(g.group, membership_id)


def _transfer_or_404(transfer_id: int) -> TimeTransfer:
    transfer = tb.transfer_in_group(db.session, g.group, transfer_id)
    if transfer is None:
        abort(404)
    return transfer


# --------------------------------------------------------------------------
# The notice board and her balance
# --------------------------------------------------------------------------


@bp.get("/groups/<int:group_id>/timebank")
@timebank_view()
def home(group_id: int):  # type: ignore[no-untyped-def]
    settings = _settings(coordinator_may_open=True)
    if settings is None:
        return redirect(url_for("timebank.settings", group_id=group_id))
    kind = request.args.get("kind", "")
    category_id = request.args.get("category", type=int)
    search = request.args.get("q", "")[:100]
    posts = tb.list_posts(db.session, g.group, kind=kind or None, category_id=category_id,
                          search=search)
    balance = flag = None
    if g.membership is not None:
        balance = tb.member_balance(db.session, g.membership)
        flag = domain.soft_flag(balance, tb.rules_of(settings))
    pending = tb.pending_rows(db.session, g.group, g.membership, everyone=g.is_coordinator)
    return _page("home.html", posts=posts, balance=balance, flag=flag, settings=settings,
                 kind=kind, category_id=category_id, search=search,
                 categories=tb.categories(db.session), locale=current_locale(),
                 pending_count=len(pending), kinds=tb.KIND_NAMES)


@bp.get("/groups/<int:group_id>/timebank/posts/new")
@timebank_view()
def new_post(group_id: int):  # type: ignore[no-untyped-def]
    _settings()
    form = PostForm(formdata=None)
    form.kind.data = request.args.get("kind", "offer")
    _category_choices(form.category)
    return _page("post_form.html", form=form)


@bp.post("/groups/<int:group_id>/timebank/posts")
@timebank_view()
def add_post(group_id: int):  # type: ignore[no-untyped-def]
    _settings()
    form = PostForm()
    _category_choices(form.category)
    if g.membership is None:
        abort(403)
    if form.validate_on_submit():
        try:
            tb.create_post(db.session, g.group, g.membership, kind=form.kind.data,
                           category_id=form.category.data, title=form.title.data,
                           description=form.description.data or "",
                           valid_until=form.valid_until.data, for_group=form.for_group.data)
            db.session.commit()
            flash(_("Your notice is on the board."), "success")
            return redirect(url_for("timebank.home", group_id=group_id))
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc)
    return _page("post_form.html", 422, form=form)


@bp.post("/groups/<int:group_id>/timebank/posts/<int:post_id>/close")
@timebank_view()
def close_post(group_id: int, post_id: int):  # type: ignore[no-untyped-def]
    _settings()
    post = tb.post_in_group(db.session, g.group, post_id)
    if post is None:
        abort(404)
    tb.close_post(db.session, post, current_user)
    db.session.commit()
    flash(_("The notice is taken off the board."), "success")
    return redirect(url_for("timebank.home", group_id=group_id))


# --------------------------------------------------------------------------
# Recording help: a member
# --------------------------------------------------------------------------


def _record_choices(form: RecordForm) -> None:
    form.other.choices = _member_choices(exclude=g.membership.id if g.membership else None)
    _category_choices(form.category)
    mine = tb.list_posts(db.session, g.group)
    form.post.choices = choices([("", "—")] + [
        (str(p.post.id), f"{p.name}: {p.post.title}") for p in mine])


@bp.get("/groups/<int:group_id>/timebank/record")
@timebank_view()
def record_form(group_id: int):  # type: ignore[no-untyped-def]
    settings = _settings()
    if g.membership is None:
        abort(404)
    form = RecordForm(formdata=None)
    _record_choices(form)
    form.direction.data = request.args.get("direction", "received")
    form.post.data = request.args.get("post", type=int)
    post = tb.post_in_group(db.session, g.group, form.post.data) \
        if form.post.data and 0 < form.post.data < 2**31 else None
    if post is not None and post.membership_id != g.membership.id:
        # from an offer or a request: the one who made it, and its category
        form.other.data, form.category.data = post.membership_id, post.category_id
    form.date_of_service.data = local_today()
    form.new_key()
    return _page("record.html", form=form, settings=settings)


@bp.post("/groups/<int:group_id>/timebank/record")
@timebank_view()
def record(group_id: int):  # type: ignore[no-untyped-def]
    settings = _settings()
    me = g.membership
    if me is None:
        abort(404)
    form = RecordForm()
    form.hours.most = settings.max_minutes_per_transfer if settings else None
    _record_choices(form)

    def other() -> Membership:
        if not form.other.data or form.other.data < 0:
            raise DomainError(_("Choose the member."), field="other")
        return member_in_group(g.group, form.other.data)  # another group's: 404

    def line() -> tb.Line:
        received = form.direction.data != "gave"
        return tb.Line(me if received else other(), other() if received else me,
                       form.hours.minutes or 0, form.category.data, form.date_of_service.data,
                       form.note.data or "", post_id=form.post.data)

    def save(key: str) -> None:
        tb.record_transfer(db.session, g.group, line(), actor=current_user,
                           mode="provider" if form.direction.data == "gave" else "receiver",
                           idempotency_key=key)

    def failed(form: RecordForm, status: int):  # type: ignore[no-untyped-def]
        return _page("record.html", status, form=form, settings=settings)

    gave = form.direction.data == "gave"
    return once(form, earlier=lambda key: tb.transfer_by_key(db.session, g.group.id, key),
                recent=lambda: _same_help(_quiet(line)), record=save, member=me,
                failed=failed,
                back=url_for("timebank.pending", group_id=group_id) if gave else
                url_for("timebank.statement", group_id=group_id, membership_id=me.id),
                done=lambda: _("Recorded. It waits for her confirmation.") if gave
                else _("Recorded and counted."))


# --------------------------------------------------------------------------
# Pending records: confirm, reject
# --------------------------------------------------------------------------


@bp.get("/groups/<int:group_id>/timebank/pending")
@timebank_view()
def pending(group_id: int):  # type: ignore[no-untyped-def]
    _settings()
    rows = tb.pending_rows(db.session, g.group, g.membership, everyone=g.is_coordinator)
    mine = g.membership.id if g.membership else None
    return _page("pending.html", rows=rows, mine=mine, blank_form=RejectForm(formdata=None))


@bp.post("/groups/<int:group_id>/timebank/transfers/<int:transfer_id>/confirm")
@timebank_view()
def confirm(group_id: int, transfer_id: int):  # type: ignore[no-untyped-def]
    _settings()
    transfer = _transfer_or_404(transfer_id)
    done = tb.confirm_transfer(db.session, g.group, transfer, actor=current_user)
    db.session.commit()
    flash(_("Confirmed: the hours are counted.") if done else
          _("This was already confirmed. Nothing more was counted."),
          "success" if done else "info")
    return redirect(url_for("timebank.pending", group_id=group_id))


@bp.post("/groups/<int:group_id>/timebank/transfers/<int:transfer_id>/reject")
@timebank_view()
def reject(group_id: int, transfer_id: int):  # type: ignore[no-untyped-def]
    _settings()
    transfer = _transfer_or_404(transfer_id)
    form = RejectForm()
    if not form.validate_on_submit():
        rows = tb.pending_rows(db.session, g.group, g.membership, everyone=g.is_coordinator)
        return _page("pending.html", 422, rows=rows, reject_form=form,
                     blank_form=RejectForm(formdata=None),
                     mine=g.membership.id if g.membership else None, failed_id=transfer.id)
    done = tb.reject_transfer(db.session, g.group, transfer, actor=current_user,
                              reason=form.reason.data)
    db.session.commit()
    if tb.withdrawn(transfer):
        flash(_("Withdrawn: nothing is counted. Record the help anew if it happened.")
              if done else _("This was already withdrawn."), "info")
    else:
        flash(_("Rejected: nothing is counted.") if done else _("This was already rejected."),
              "info")
    return redirect(url_for("timebank.pending", group_id=group_id))


@bp.get("/groups/<int:group_id>/timebank/transfers/<int:transfer_id>")
@timebank_view()
def transfer(group_id: int, transfer_id: int):  # type: ignore[no-untyped-def]
    _settings()
    found = _transfer_or_404(transfer_id)
    [row] = tb.transfer_rows(db.session, g.group, where=[TimeTransfer.id == found.id])
    mine = g.membership.id if g.membership else None
    if not g.is_coordinator and mine not in (row.payer_membership_id, row.payee_membership_id):
        abort(404)
    form = ReverseForm(formdata=None)
    form.new_key()
    return _page("transfer.html", row=row, reverse_form=form, reject_form=RejectForm(
        formdata=None), mine=mine, state=tb.state_name(found), how=tb.recorded_as(found))


@bp.post("/groups/<int:group_id>/timebank/transfers/<int:transfer_id>/reverse")
@timebank_view(coordinator=True)
def reverse(group_id: int, transfer_id: int):  # type: ignore[no-untyped-def]
    _settings()
    found = _transfer_or_404(transfer_id)
    form = ReverseForm()
    back = url_for("timebank.transfer", group_id=group_id, transfer_id=transfer_id)

    conflict: list[bool] = []

    def save(key: str) -> None:
        try:
            tb.reverse_transfer(db.session, g.group, found, actor=current_user,
                                reason=form.reason.data, idempotency_key=key)
        except tb.Conflict:
            conflict.append(True)
            raise

    def failed(form: ReverseForm, status: int):  # type: ignore[no-untyped-def]
        [row] = tb.transfer_rows(db.session, g.group, where=[TimeTransfer.id == found.id])
        return _page("transfer.html", 409 if conflict else status, row=row,
                     reverse_form=form,
                     reject_form=RejectForm(formdata=None), mine=None, state=tb.state_name(found),
                     how=tb.recorded_as(found))

    return once(form, earlier=lambda key: tb.transfer_by_key(db.session, g.group.id, key),
                recent=lambda: None, member=None, failed=failed, back=back, record=save,
                done=_("Corrected: the hours went back. Both records stay in the register."))


# --------------------------------------------------------------------------
# Her statement
# --------------------------------------------------------------------------


def _day(name: str) -> date | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        abort(400)


@bp.get("/groups/<int:group_id>/timebank/members/<int:membership_id>")
@timebank_view()
def statement(group_id: int, membership_id: int):  # type: ignore[no-untyped-def]
    settings = _settings()
    member = _membership_or_404(membership_id)
    start, end = _day("from"), _day("to")
    page = max(1, min(request.args.get("page", 1, type=int) or 1, 10_000))
    found = tb.statement(db.session, g.group, member, start=start, end=end, page=page,
                         per_page=PER_PAGE)
    flag = domain.soft_flag(found.current, tb.rules_of(settings))
    pages = max(1, -(-found.total // PER_PAGE))
    return _page("statement.html", member=member, statement=found, flag=flag,
                 settings=settings, start=request.args.get("from", ""),
                 end=request.args.get("to", ""), page=page, pages=pages,
                 how=tb.recorded_as,
                 own=g.membership is not None and g.membership.id == member.id)


@bp.get("/groups/<int:group_id>/timebank/members/<int:membership_id>/statement.pdf")
@timebank_view()
def statement_pdf(group_id: int, membership_id: int):  # type: ignore[no-untyped-def]
    _settings()
    member = _membership_or_404(membership_id)
    data = builders.statement_data(db.session, g.group, member, start=_day("from"),
                                   end=_day("to"), own=g.membership is not None
                                   and g.membership.id == member.id)
    db.session.commit()
    return pdf_response(builders.build_statement(data),
                        f"time-statement-{g.group.id}-{member.id}.pdf")


# --------------------------------------------------------------------------
# The coordinator: register entry, batch, import, start credits
# --------------------------------------------------------------------------


def _recent_rows() -> list[tb.TransferRow]:
    return tb.transfer_rows(db.session, g.group, limit=15)


def _numbers_page(form, template: str, status: int = 200, **extra: object):  # type: ignore[no-untyped-def]
    numbered = tb.member_numbers(db.session, g.group)
    return _page(template, status, form=form, numbered=numbered, recent=_recent_rows(),
                 **extra)


def _numbered(number: int | None, field: str) -> Membership | None:
    if number == tb.BANK:
        return None
    found = tb.member_numbers(db.session, g.group).get(number or -1)
    if found is None:
        raise DomainError(_("No member has the number %(number)d.", number=number or 0),
                          field=field)
    return found


@bp.get("/groups/<int:group_id>/timebank/register")
@timebank_view(coordinator=True)
def register_form(group_id: int):  # type: ignore[no-untyped-def]
    _settings()
    form = RegisterForm(formdata=None)
    _category_choices(form.category)
    form.date_of_service.data = local_today()
    form.new_key()
    return _numbers_page(form, "register.html")


@bp.post("/groups/<int:group_id>/timebank/register")
@timebank_view(coordinator=True)
def register_entry(group_id: int):  # type: ignore[no-untyped-def]
    settings = _settings()
    form = RegisterForm()
    form.hours.most = settings.max_minutes_per_transfer if settings else None
    _category_choices(form.category)

    def line() -> tb.Line:
        return tb.Line(_numbered(form.receiver.number, "receiver"),
                       _numbered(form.provider.number, "provider"), form.hours.minutes or 0,
                       form.category.data, form.date_of_service.data, form.note.data or "")

    def save(key: str) -> None:
        tb.record_transfer(db.session, g.group, line(), actor=current_user,
                           mode="coordinator", idempotency_key=key)

    def failed(form: RegisterForm, status: int):  # type: ignore[no-untyped-def]
        return _numbers_page(form, "register.html", status)

    return once(form, earlier=lambda key: tb.transfer_by_key(db.session, g.group.id, key),
                recent=lambda: _same_help(_quiet(line)), record=save, member=None,
                failed=failed, back=url_for("timebank.register_form", group_id=group_id),
                done=_("The line is recorded on behalf and counted."))


def _batch_lines(form: BatchForm, most: int | None
                 ) -> tuple[list[tb.Line], list[tuple[int, str]]]:
    one = _numbered(form.member.number, "member")
    lines, bad = [], []
    for n in range(1, BATCH_LINES + 1):
        number = (form[f"other_{n}"].data or "").strip().lstrip("№#")
        hours = (form[f"hours_{n}"].data or "").strip()
        if not number and not hours:
            continue
        try:
            if not number or not hours:
                raise DomainError(_("Fill in both the member's number and the hours."))
            if not number.isdigit():
                raise DomainError(_("Write the member's number from the list."))
            other = _numbered(int(number), "member")
            payer, payee = (one, other) if form.direction.data == "many_to_one" else (other,
                                                                                      one)
            lines.append(tb.Line(payer, payee, tb.parse_minutes(hours, most), form.category.data,
                                 form.date_of_service.data, form.note.data or "", line=n))
        except DomainError as exc:
            bad.append((n, str(exc.message)))
    return lines, bad


@bp.get("/groups/<int:group_id>/timebank/batch")
@timebank_view(coordinator=True)
def batch_form(group_id: int):  # type: ignore[no-untyped-def]
    _settings()
    form = BatchForm(formdata=None)
    _category_choices(form.category)
    form.date_of_service.data = local_today()
    form.new_key()
    return _numbers_page(form, "batch.html", lines=range(1, BATCH_LINES + 1), bad=[])


@bp.post("/groups/<int:group_id>/timebank/batch")
@timebank_view(coordinator=True)
def batch(group_id: int):  # type: ignore[no-untyped-def]
    settings = _settings()
    most = settings.max_minutes_per_transfer if settings else None
    form = BatchForm()
    _category_choices(form.category)
    bad: list[tuple[int, str]] = []

    def save(key: str) -> None:
        lines, found_bad = _batch_lines(form, most)
        try:
            tb.record_batch(db.session, g.group, lines, actor=current_user,
                            idempotency_key=key, bad_lines=found_bad)
        except tb.BatchRefused as exc:
            bad.extend(exc.lines)
            raise

    def failed(form: BatchForm, status: int):  # type: ignore[no-untyped-def]
        return _numbers_page(form, "batch.html", status, lines=range(1, BATCH_LINES + 1),
                             bad=bad)

    def recent() -> str | None:
        lines = _quiet(lambda: _batch_lines(form, most)[0])
        return _same_help(lines[0]) if lines else None

    return once(form, earlier=lambda key: tb.batch_transfers(db.session, g.group.id, key),
                recent=recent, record=save, member=None, failed=failed,
                back=url_for("timebank.batch_form", group_id=group_id),
                done=_("The batch is recorded on behalf and counted."))


@bp.get("/groups/<int:group_id>/timebank/import")
@timebank_view(coordinator=True)
def import_form(group_id: int):  # type: ignore[no-untyped-def]
    _settings()
    form = ImportForm(formdata=None)
    form.new_key()
    return _numbers_page(form, "import.html", bad=[], categories=tb.categories(db.session),
                         locale=current_locale())


@bp.post("/groups/<int:group_id>/timebank/import")
@timebank_view(coordinator=True)
def import_register(group_id: int):  # type: ignore[no-untyped-def]
    _settings()
    form = ImportForm()
    bad: list[tuple[int, str]] = []
    count: list[int] = []

    def save(key: str) -> None:
        data = (form.file.data.read(MAX_UPLOAD_BYTES + 1) if form.file.data
                else (form.text.data or "").encode())
        try:
            transfers, _new = tb.import_register(db.session, g.group, data,
                                                 actor=current_user, idempotency_key=key)
        except tb.BatchRefused as exc:
            bad.extend(exc.lines)
            raise
        count.append(len(transfers))

    def failed(form: ImportForm, status: int):  # type: ignore[no-untyped-def]
        return _numbers_page(form, "import.html", status, bad=bad,
                             categories=tb.categories(db.session), locale=current_locale())

    return once(form, earlier=lambda key: tb.batch_transfers(db.session, g.group.id, key),
                recent=lambda: None, record=save, member=None, failed=failed,
                back=url_for("timebank.register_form", group_id=group_id),
                done=lambda: _("%(count)d lines imported and counted.",
                               count=count[0] if count else 0))


@bp.post("/groups/<int:group_id>/timebank/start-credits")
@timebank_view(treasurer=True)
def start_credits(group_id: int):  # type: ignore[no-untyped-def]
    _settings()
    count = tb.grant_start_credits(db.session, g.group, actor=current_user)
    db.session.commit()
    flash(_("Start credit given to %(count)d members.", count=count) if count else
          _("Every active member already has her start credit."), "info")
    return redirect(url_for("timebank.reports", group_id=group_id))


# --------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------


def _hours_or_none(field, negative: bool = False) -> int | None:  # type: ignore[no-untyped-def]
    if field.minutes is None:
        return None
    return -field.minutes if negative else field.minutes


def _filled_settings_form(current: TimeBankSettings | None) -> SettingsForm:
    """The settings form showing the rules in force (the spec's defaults first)."""
    form = SettingsForm(formdata=None)
    shown = current or TimeBankSettings(enabled=True, step_minutes=15,
                                        max_minutes_per_transfer=720, floor_minutes=-600,
                                        warn_below_minutes=-300, warn_above_minutes=2400,
                                        start_credit_minutes=0, provider_may_record=True)
    form.enabled.data = shown.enabled
    form.step_minutes.data = shown.step_minutes
    form.max_hours.data = domain.input_text(shown.max_minutes_per_transfer)
    for name, value in (("floor_hours", shown.floor_minutes),
                        ("warn_below_hours", shown.warn_below_minutes),
                        ("warn_above_hours", shown.warn_above_minutes),
                        ("start_credit_hours", shown.start_credit_minutes or None)):
        form[name].data = domain.input_text(abs(value)) if value is not None else ""
    form.provider_may_record.data = shown.provider_may_record
    return form


@bp.route("/groups/<int:group_id>/timebank/settings", methods=["GET", "POST"])
@timebank_view(treasurer=True)
def settings(group_id: int):  # type: ignore[no-untyped-def]
    current = tb.settings_of(db.session, g.group)
    form = SettingsForm(formdata=request.form if request.method == "POST" else None)
    if request.method == "GET":
        return _settings_page(_filled_settings_form(current), current)
    if form.validate_on_submit():
        try:
            tb.save_settings(
                db.session, g.group, current_user, enabled=form.enabled.data,
                step_minutes=form.step_minutes.data,
                max_minutes_per_transfer=form.max_hours.minutes,
                floor_minutes=_hours_or_none(form.floor_hours, negative=True),
                warn_below_minutes=_hours_or_none(form.warn_below_hours, negative=True),
                warn_above_minutes=_hours_or_none(form.warn_above_hours),
                start_credit_minutes=form.start_credit_hours.minutes or 0,
                provider_may_record=form.provider_may_record.data)
            db.session.commit()
            flash(_("The time bank's settings are saved."), "success")
            return redirect(url_for("timebank.home", group_id=group_id))
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc)
    return _settings_page(form, current, status=422)


def _designable() -> list[Membership]:
    """The members the treasurer may make coordinators: active, not treasurers."""
    return [m for m in db.session.scalars(select(Membership).where(
        Membership.group_id == g.group.id, Membership.active.is_(True))
        .order_by(Membership.id)) if m.role != "treasurer"]


def _settings_page(form: SettingsForm, current: TimeBankSettings | None, *, status: int = 200,
                   coordinators_form: CoordinatorsForm | None = None):  # type: ignore[no-untyped-def]
    if coordinators_form is None:
        coordinators_form = CoordinatorsForm(formdata=None)
        coordinators_form.coordinators.data = sorted(tb.coordinator_ids(db.session, g.group))
    return _page("settings.html", status, form=form, current=current,
                 coordinators_form=coordinators_form, designable=_designable(),
                 numbers=tb.number_of(db.session, g.group))


@bp.post("/groups/<int:group_id>/timebank/coordinators")
@timebank_view(treasurer=True)
def coordinators(group_id: int):  # type: ignore[no-untyped-def]
    current = _settings()
    form = CoordinatorsForm()
    if form.validate_on_submit():
        try:
            tb.set_coordinators(db.session, g.group,
                                [i for i in form.coordinators.data or [] if i is not None],
                                actor=current_user)
            db.session.commit()
            flash(_("The time bank's coordinators are saved."), "success")
            return redirect(url_for("timebank.settings", group_id=group_id))
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc)
    return _settings_page(_filled_settings_form(current), current, status=422,
                          coordinators_form=form)


# --------------------------------------------------------------------------
# Reports, documents, the digest, the export
# --------------------------------------------------------------------------


@bp.get("/groups/<int:group_id>/timebank/reports")
@timebank_view(coordinator=True)
def reports(group_id: int):  # type: ignore[no-untyped-def]
    settings = _settings()
    rows = tb.member_rows(db.session, g.group, settings)
    months, by_category = tb.category_months(db.session, g.group)
    total, bad = tb.check_sums(db.session, g.group)
    month_names = {m: fmt_month(int(m[:4]), int(m[5:7])) for m in months}
    return _page("reports.html", rows=rows, months=months, by_category=by_category,
                 month_names=month_names,
                 bank=tb.bank_balance(db.session, g.group), total=total, bad=bad,
                 settings=settings, inactive_days=tb.INACTIVE_DAYS,
                 month=local_today().strftime("%Y-%m"))


def _month() -> tuple[int, int]:
    value = request.args.get("month", "").strip() or local_today().strftime("%Y-%m")
    try:
        parsed = datetime.strptime(value, "%Y-%m")
    except ValueError:
        abort(400)
    if not 2000 <= parsed.year <= 2100:
        abort(400)
    return parsed.year, parsed.month


@bp.get("/groups/<int:group_id>/timebank/register.pdf")
@timebank_view(coordinator=True)
def register_pdf(group_id: int):  # type: ignore[no-untyped-def]
    _settings()
    year, month = _month()
    data = builders.register_data(db.session, g.group, year, month)
    db.session.commit()
    return pdf_response(builders.build_register(data),
                        f"time-register-{g.group.id}-{year}-{month:02d}.pdf")


@bp.get("/groups/<int:group_id>/timebank/board.pdf")
@timebank_view()
def board_pdf(group_id: int):  # type: ignore[no-untyped-def]
    _settings()
    data = builders.board_data(db.session, g.group)
    return pdf_response(builders.build_board(data), f"time-board-{g.group.id}.pdf")


@bp.get("/groups/<int:group_id>/timebank/digest")
@timebank_view()
def digest(group_id: int):  # type: ignore[no-untyped-def]
    _settings()
    return _page("digest.html", text=tb.weekly_digest(db.session, g.group))


@bp.get("/groups/<int:group_id>/timebank/export.zip")
@timebank_view(coordinator=True)
def export(group_id: int):  # type: ignore[no-untyped-def]
    settings = _settings()
    language = g.group.language
    rows = tb.member_rows(db.session, g.group, settings)
    files = {
        "balances.csv": csv_bytes(
            [_("Member №"), _("Name"), _("Active"), _("Balance, minutes"), _("Gave help, minutes"),
             _("Received help, minutes"), _("Last exchange"), _("Days without exchange"),
             _("Soft limit")],
            [[r.number, r.name, _("yes") if r.membership.active else _("no"), r.balance,
              r.given, r.received, csv_date(r.last, language), r.days_without,
              {"low": _("below"), "high": _("above")}.get(r.flag or "", "")] for r in rows]),
        "transfers.csv": csv_bytes(
            [_("Number"), _("Date of the help"), _("Received help"), _("Gave help"),
             _("Minutes"), _("Category"), _("State"), _("How it was recorded"), _("Note")],
            [[row.transfer.number, csv_date(row.transfer.date_of_service, language),
              row.payer, row.payee, row.transfer.minutes, row.category,
              tb.state_name(row.transfer), tb.recorded_as(row.transfer),
              row.transfer.note]
             for row in tb.transfer_rows(db.session, g.group, newest_first=False)]),
    }
    files["posts.csv"] = csv_bytes(
        [_("What"), _("Category"), _("In a few words"), _("Who"), _("Until")],
        [[str(tb.KIND_NAMES[p.post.kind]), p.category, p.post.title, p.name,
          csv_date(p.post.valid_until, language)] for p in tb.list_posts(db.session, g.group)])
    months, by_category = tb.category_months(db.session, g.group)
    files["categories.csv"] = csv_bytes(
        [_("Category"), _("Month"), _("Minutes"), _("Exchanges")],
        [[name, month, cells[month].minutes, cells[month].exchanges]
         for name, cells in by_category for month in months if month in cells])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    db.session.commit()
    response = Response(buffer.getvalue(), mimetype="application/zip")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="time-bank-{g.group.id}.zip"')
    response.headers["Cache-Control"] = "private, no-store"
    return response
