"""The season's pages: needs surveys (answers, demand, the paper form, CSV
import, the reminder, the round they become), the household profile and its
counts, seed rates, seed loans and the seed stock. Thin: check, call a
service, commit once, redirect."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from coop import unit_text
from coop.csv_export import csv_bytes, csv_response
from coop.errors import DomainError
from coop.extensions import db
from coop.forms import ActionForm, apply_domain_error, choices, error_messages
from coop.groups.access import group_view, member_in_group
from coop.groups.models import Membership
from coop.groups.services import list_members
from coop.i18n import fmt_money, fmt_number, fmt_qty, input_number, local_today
from coop.ledger.views import _keyed, once, when
from coop.orders.models import Round
from coop.quantities import QTY_SCALE
from coop.sales.services import lot_title
from coop.season import documents, domain, services
from coop.season import loans as seed
from coop.season.forms import (
    ConvertForm,
    ImportForm,
    LoanForm,
    ProfileForm,
    RepayCashForm,
    RepayKindForm,
    StockOutForm,
    SurveyForm,
    WishForm,
    WriteOffLoanForm,
    answer_form,
    seed_rates_form,
)
from coop.season.models import SeedLoan, Survey
from coop.season.pdf import written_off_text
from coop.suppliers.domain import CatalogError, iter_errors_text
from coop.suppliers.models import Product
from coop.views import (
    Confirmation,
    already_done,
    confirmed,
    figures_token,
    pdf_response,
    render_then_commit,
)

bp = Blueprint("season", __name__, template_folder="templates")
MAX_IMPORT_BYTES = 2 * 1024 * 1024


def _milli(value: Decimal | None) -> int | None:
    return None if value is None else int(value * QTY_SCALE)


def _refused(errors: list[str], status: int = 422):  # type: ignore[no-untyped-def]
    return render_template("season/refused.html", group=g.group, errors=errors), status


# --------------------------------------------------------------------------
# The season's page
# --------------------------------------------------------------------------


@bp.get("/groups/<int:group_id>/season")
@group_view()
def home(group_id: int):  # type: ignore[no-untyped-def]
    surveys = services.list_surveys(db.session, g.group, include_drafts=g.is_treasurer)
    if g.is_treasurer:
        outstanding = seed.outstanding(db.session, g.group)
        mine = []
    else:
        outstanding = []
        mine = seed.list_loans(db.session, g.group, g.membership) if g.membership else []
    return render_then_commit(
        "season/home.html", group=g.group, surveys=surveys, states=services.STATE_NAMES,
        outstanding=outstanding, mine=mine, loan_states=seed.STATE_NAMES,
        lent=seed.fund_lent(db.session, g.group) if g.is_treasurer else 0,
        positions={loan.id: seed.position(loan) for loan in mine})


# --------------------------------------------------------------------------
# Surveys
# --------------------------------------------------------------------------


def _survey_or_404(survey_id: int) -> Survey:
    survey = services.get_survey(db.session, g.group, survey_id)
    if survey is None or (survey.state == domain.DRAFT and not g.is_treasurer):
        abort(404)
    return survey


def _product_choices(form: SurveyForm) -> None:
    products = db.session.execute(select(Product.id, Product.name).where(
        Product.group_id == g.group.id, Product.retired.is_(False))
        .order_by(Product.name)).all()
    form.products.choices = choices([(str(i), n) for i, n in products])


@bp.route("/groups/<int:group_id>/season/surveys/new", methods=["GET", "POST"])
@group_view(treasurer=True)
def new_survey(group_id: int):  # type: ignore[no-untyped-def]
    form = SurveyForm()
    _product_choices(form)
    status = 200
    if form.is_submitted():
        if form.validate():
            try:
                survey = services.create_survey(
                    db.session, g.group, current_user, title=form.title.data,
                    product_ids=[p for p in form.products.data or [] if p],
                    note=form.note.data or "", closes_on=form.closes_on.data)
                db.session.commit()
                flash(_("The survey is saved as a draft. Open it when the members may answer."),
                      "success")
                return redirect(url_for("season.survey", group_id=group_id,
                                        survey_id=survey.id), 303)
            except DomainError as exc:
                db.session.rollback()
                apply_domain_error(form, exc)
        status = 422
    return render_template("season/survey_form.html", group=g.group, form=form,
                           survey=None), status


@bp.route("/groups/<int:group_id>/season/surveys/<int:survey_id>/edit", methods=["GET", "POST"])
@group_view(treasurer=True)
def edit_survey(group_id: int, survey_id: int):  # type: ignore[no-untyped-def]
    survey = _survey_or_404(survey_id)
    form = SurveyForm(obj=survey if request.method == "GET" else None)
    _product_choices(form)
    if request.method == "GET":
        form.products.data = [i.product_id for i in survey.items]
    status = 200
    if form.is_submitted():
        if form.validate():
            try:
                services.update_survey(db.session, survey, title=form.title.data,
                                       product_ids=[p for p in form.products.data or [] if p],
                                       note=form.note.data or "",
                                       closes_on=form.closes_on.data)
                db.session.commit()
                flash(_("Saved."), "success")
                return redirect(url_for("season.survey", group_id=group_id,
                                        survey_id=survey.id), 303)
            except DomainError as exc:
                db.session.rollback()
                apply_domain_error(form, exc)
        status = 422
    return render_template("season/survey_form.html", group=g.group, form=form,
                           survey=survey), status


@bp.get("/groups/<int:group_id>/season/surveys/<int:survey_id>")
@group_view()
def survey(group_id: int, survey_id: int):  # type: ignore[no-untyped-def]
    survey = _survey_or_404(survey_id)
    demand = services.survey_demand(db.session, survey)
    mine = services.answers_of(db.session, survey, g.membership) if g.membership else {}
    my_wishes = services.wishes(db.session, survey, g.membership) if g.membership else []
    context: dict[str, Any] = {}
    if g.is_treasurer:
        answers = services.survey_answers(db.session, survey)
        context.update(
            answers=answers, all_wishes=services.wishes(db.session, survey),
            missing=services.missing_members(db.session, survey),
            members=list_members(db.session, g.group, include_inactive=False),
            reminder=_reminder(survey),
            report=services.conversion_report(db.session, survey)
            if survey.state == domain.CONVERTED else [],
            convert_form=ConvertForm(formdata=None, title=survey.title))
    rnd = db.session.get(Round, survey.round_id) if survey.round_id else None
    return render_then_commit(
        "season/survey.html", group=g.group, survey=survey, demand=demand, mine=mine,
        my_wishes=my_wishes, states=services.STATE_NAMES, sources=services.SOURCE_NAMES,
        action=ActionForm(), rnd=rnd, **context)


def _reminder(survey: Survey) -> str:
    """The text the treasurer copies into WhatsApp."""
    link = url_for("season.survey", group_id=g.group.id, survey_id=survey.id, _external=True)
    lines = [_("Survey “%(title)s”: what will you buy together this season?",
               title=survey.title)]
    if survey.closes_on:
        from coop.i18n import fmt_date

        lines.append(_("Please answer by %(date)s.", date=fmt_date(survey.closes_on)))
    lines += [f"• {item.product.name}" for item in survey.items]
    lines.append(_("Answer here: %(link)s", link=link))
    lines.append(_("No phone? Tell the treasurer, she will write it down for you."))
    return "\n".join(lines)


@bp.post("/groups/<int:group_id>/season/surveys/<int:survey_id>/move/<target>")
@group_view(treasurer=True)
def move_survey(group_id: int, survey_id: int, target: str):  # type: ignore[no-untyped-def]
    survey = _survey_or_404(survey_id)
    form = ActionForm()
    back = url_for("season.survey", group_id=group_id, survey_id=survey_id)
    if not form.validate_on_submit():
        return _refused(error_messages(form) or [_("The form has expired. Please send it again.")])
    if target not in ("open", "closed"):
        abort(404)
    if survey.state == target:
        return already_done(_("This was done already."), back)
    try:
        services.move_survey(db.session, survey, target)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _refused([str(exc.message)], 409)
    flash(_("The survey is open: members can answer.") if target == "open"
          else _("The survey is closed."), "success")
    return redirect(back, 303)


def _answer_target(survey: Survey, membership_id: int) -> Membership:
    member = member_in_group(g.group, membership_id)
    if not g.is_treasurer and (g.membership is None or g.membership.id != member.id):
        abort(404)
    return member


def _answer_form_for(survey: Survey, formdata: Any = None):  # type: ignore[no-untyped-def]
    seeds = {i.id for i in survey.items if i.product.seed_rate}
    return answer_form([i.id for i in survey.items], formdata, seeds)


@bp.route("/groups/<int:group_id>/season/surveys/<int:survey_id>/answers/<int:membership_id>",
          methods=["GET", "POST"])
@group_view()
def answer(group_id: int, survey_id: int, membership_id: int):  # type: ignore[no-untyped-def]
    survey = _survey_or_404(survey_id)
    member = _answer_target(survey, membership_id)
    status = 200
    if request.method == "POST":
        form = _answer_form_for(survey, request.form)
        if form.validate():
            lines = {}
            unit = form.area_unit.data
            for item in survey.items:
                area_field = getattr(form, f"area_{item.id}", None)
                area = None
                if area_field is not None and area_field.value is not None:
                    area = _milli(area_field.value)
                    if unit == "ha" and area is not None:
                        area *= domain.SOTKA_PER_HECTARE
                lines[item.id] = services.AnswerInput(
                    firm=_milli(getattr(form, f"firm_{item.id}").value) or 0,
                    maybe=_milli(getattr(form, f"maybe_{item.id}").value) or 0, area=area)
            own = g.membership is not None and g.membership.id == member.id
            source = "paper" if form.paper.data else ("member" if own and not
                                                      g.is_treasurer else "treasurer")
            if own and g.is_treasurer and not form.paper.data:
                source = "member"
            try:
                services.save_answers(db.session, survey, member, lines, current_user,
                                      source=source)
                db.session.commit()
                flash(_("The answers are saved."), "success")
                return redirect(url_for("season.survey", group_id=group_id,
                                        survey_id=survey_id), 303)
            except DomainError as exc:
                db.session.rollback()
                apply_domain_error(form, exc)
        status = 422
    else:
        form = _answer_form_for(survey)
        for item_id, row in services.answers_of(db.session, survey, member).items():
            if row.area is not None and hasattr(form, f"area_{item_id}"):
                getattr(form, f"area_{item_id}").data = fmt_qty(row.area)
            else:
                getattr(form, f"firm_{item_id}").data = fmt_qty(row.firm) if row.firm else ""
            getattr(form, f"maybe_{item_id}").data = fmt_qty(row.maybe) if row.maybe else ""
    wish_form = WishForm(formdata=None)
    return render_template("season/answer.html", group=g.group, survey=survey, member=member,
                           form=form, wish_form=wish_form,
                           any_area=any(name.startswith("area_") and name != "area_unit"
                                        for name in form._fields),
                           wishes=services.wishes(db.session, survey, member),
                           action=ActionForm()), status


@bp.post("/groups/<int:group_id>/season/surveys/<int:survey_id>/answers/<int:membership_id>/wish")
@group_view()
def add_wish(group_id: int, survey_id: int, membership_id: int):  # type: ignore[no-untyped-def]
    survey = _survey_or_404(survey_id)
    member = _answer_target(survey, membership_id)
    form = WishForm()
    if not form.validate_on_submit():
        return _refused(error_messages(form))
    try:
        services.add_wish(db.session, survey, member, text=form.text.data,
                          quantity=form.quantity.data or "", actor=current_user)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _refused([str(exc.message)])
    if g.membership is not None and g.membership.id == member.id:
        flash(_("Your wish is noted."), "success")
    else:  # the treasurer writes it down for her
        flash(_("The wish of %(name)s is noted.", name=member.user.name), "success")
    return redirect(url_for("season.answer", group_id=group_id, survey_id=survey_id,
                            membership_id=member.id), 303)


@bp.post("/groups/<int:group_id>/season/surveys/<int:survey_id>/wishes/<int:wish_id>/delete")
@group_view()
def remove_wish(group_id: int, survey_id: int, wish_id: int):  # type: ignore[no-untyped-def]
    survey = _survey_or_404(survey_id)
    form = ActionForm()
    if not form.validate_on_submit():
        return _refused(error_messages(form))
    try:
        services.remove_wish(db.session, survey, wish_id,
                             None if g.is_treasurer else g.membership)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _refused([str(exc.message)], 404)
    flash(_("Removed."), "success")
    return redirect(url_for("season.survey", group_id=group_id, survey_id=survey_id), 303)


@bp.route("/groups/<int:group_id>/season/surveys/<int:survey_id>/import", methods=["GET", "POST"])
@group_view(treasurer=True)
def import_answers(group_id: int, survey_id: int):  # type: ignore[no-untyped-def]
    survey = _survey_or_404(survey_id)
    form = ImportForm()
    errors: list[str] = []
    status = 200
    if form.is_submitted():
        upload = request.files.get("file")
        data = upload.read(MAX_IMPORT_BYTES + 1) if upload else b""
        if not form.validate():
            errors = error_messages(form)
        elif not data:
            errors = [_("Choose a file.")]
        elif len(data) > MAX_IMPORT_BYTES:
            errors = [_("The file is too large.")]
        else:
            try:
                count = services.import_answers(db.session, survey, data, current_user)
                db.session.commit()
                flash(ngettext("%(num)d line imported.", "%(num)d lines imported.", count),
                      "success")
                return redirect(url_for("season.survey", group_id=group_id,
                                        survey_id=survey_id), 303)
            except CatalogError as exc:
                db.session.rollback()
                errors = list(iter_errors_text(exc.errors))
            except DomainError as exc:
                db.session.rollback()
                errors = [str(exc.message)]
        status = 422
    return render_template("season/import.html", group=g.group, survey=survey, form=form,
                           errors=errors, columns=services.import_column_names()), status


@bp.get("/groups/<int:group_id>/season/surveys/<int:survey_id>/template.csv")
@group_view(treasurer=True)
def import_template(group_id: int, survey_id: int):  # type: ignore[no-untyped-def]
    survey = _survey_or_404(survey_id)
    return csv_response(services.answers_csv_template(survey), f"survey-{survey.id}.csv")


@bp.get("/groups/<int:group_id>/season/surveys/<int:survey_id>/form.pdf")
@group_view(treasurer=True)
def survey_form_pdf(group_id: int, survey_id: int):  # type: ignore[no-untyped-def]
    survey = _survey_or_404(survey_id)
    return pdf_response(documents.survey_form_pdf(db.session, survey), f"survey-{survey.id}.pdf")


@bp.route("/groups/<int:group_id>/season/surveys/<int:survey_id>/convert",
          methods=["GET", "POST"])
@group_view(treasurer=True)
def convert(group_id: int, survey_id: int):  # type: ignore[no-untyped-def]
    """Shows first what the round will take (the demand's figures), then makes
    it once: a second "yes" finds the survey converted and says so."""
    survey = _survey_or_404(survey_id)
    back = url_for("season.survey", group_id=group_id, survey_id=survey_id)
    if survey.state == domain.CONVERTED:
        return already_done(_("This survey is already a round."), back)
    form = (ConvertForm(request.args, title=survey.title) if request.method == "GET"
            else ConvertForm())
    if request.method == "POST" and not form.validate_on_submit():
        return _refused(error_messages(form))
    title = (form.title.data or survey.title).strip()[:160]
    demand = services.survey_demand(db.session, survey)
    token = figures_token(survey.state, title,
                          [(r.item.id, r.firm, r.maybe) for r in demand.rows])
    answer_ = confirmed(token) if request.method == "POST" else None
    if answer_ is not True:
        _items, refused = services.convertible(db.session, survey)
        ask = Confirmation(action=request.path, button=_("Make the draft round"), back=back,
                           token=token, fields={"title": title})
        return render_template("season/convert.html", group=g.group, survey=survey,
                               demand=demand, refused=refused, ask=ask,
                               changed=answer_ is False), 409 if answer_ is False else 200
    try:
        done = services.convert_survey(db.session, survey, current_user, title=title)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        db.session.refresh(survey)
        if survey.state == domain.CONVERTED:
            return already_done(_("This survey is already a round."), back)
        return _refused([str(exc.message)], 409)
    flash(ngettext("The draft round is made with %(num)d order line.",
                   "The draft round is made with %(num)d order lines.", done.lines), "success")
    if done.unconverted:
        flash(ngettext("%(num)d line could not be carried over: see the list.",
                       "%(num)d lines could not be carried over: see the list.",
                       len(done.unconverted)), "info")
    return redirect(back + "#conversion", 303)


# --------------------------------------------------------------------------
# Household profile and its counts
# --------------------------------------------------------------------------


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


@bp.route("/groups/<int:group_id>/season/profile/<int:membership_id>", methods=["GET", "POST"])
@group_view()
def profile(group_id: int, membership_id: int):  # type: ignore[no-untyped-def]
    member = member_in_group(g.group, membership_id)
    if not g.is_treasurer and (g.membership is None or g.membership.id != member.id):
        abort(404)  # never another member's household
    stored = services.profile_of(db.session, member)
    status = 200
    if request.method == "POST":
        form = ProfileForm()
        if form.validate():
            try:
                size = form.household_size.value
                livestock = form.livestock.value
                services.save_profile(
                    db.session, member, current_user,
                    household_size=int(size) if size is not None else None,
                    land=_milli(form.land.value),
                    livestock=int(livestock) if livestock is not None else None,
                    migrant_abroad={"yes": True, "no": False}.get(form.migrant_abroad.data or ""),
                    services_wanted=form.services_wanted.data or "")
                db.session.commit()
                flash(_("Saved. Only you and the treasurer see these answers."), "success")
                return redirect(url_for("season.profile", group_id=group_id,
                                        membership_id=member.id), 303)
            except DomainError as exc:
                db.session.rollback()
                apply_domain_error(form, exc)
        status = 422
    else:
        form = ProfileForm(formdata=None)
        if stored is not None:
            form.household_size.data = str(stored.household_size or "")
            form.land.data = fmt_qty(stored.land) if stored.land is not None else ""
            form.livestock.data = "" if stored.livestock is None else str(stored.livestock)
            form.migrant_abroad.data = _yes_no(stored.migrant_abroad)
            form.services_wanted.data = stored.services_wanted
    return render_template("season/profile.html", group=g.group, member=member, form=form,
                           stored=stored), status


@bp.get("/groups/<int:group_id>/season/indicators")
@group_view(treasurer=True)
def indicators(group_id: int):  # type: ignore[no-untyped-def]
    counts = services.group_indicators(db.session, g.group)
    return render_template("season/indicators.html", group=g.group, counts=counts)


@bp.get("/groups/<int:group_id>/season/indicators.csv")
@group_view(treasurer=True)
def indicators_csv(group_id: int):  # type: ignore[no-untyped-def]
    """Counts only: no row is a person."""
    c = services.group_indicators(db.session, g.group)
    rows = [(_("Active members"), c.members), (_("Answered the household profile"), c.answered),
            (_("Households with a labour migrant abroad"), c.migrant_households),
            (_("Households without"), c.no_migrant),
            (_("Households with livestock"), c.with_livestock)]
    rows += [(_("Household of %(band)s people", band=band), n)
             for band, n in c.household_bands.items()]
    rows += [(_("Land %(band)s sotkas", band=band), n) for band, n in c.land_bands.items()]
    return csv_response(csv_bytes((_("Indicator"), _("Count")), rows),
                        f"indicators-{g.group.id}.csv")


# --------------------------------------------------------------------------
# Seed rates
# --------------------------------------------------------------------------


@bp.route("/groups/<int:group_id>/season/seed-rates", methods=["GET", "POST"])
@group_view(treasurer=True)
def seed_rates(group_id: int):  # type: ignore[no-untyped-def]
    products = services.seed_products(db.session, g.group)
    status = 200
    if request.method == "POST":
        form = seed_rates_form([p.id for p in products], request.form)
        if form.validate():
            try:
                changed = services.set_seed_rates(db.session, g.group, {
                    p.id: _milli(getattr(form, f"rate_{p.id}").value) or None for p in products})
                db.session.commit()
                flash(ngettext("%(num)d seed rate changed.", "%(num)d seed rates changed.",
                               changed), "success")
                return redirect(url_for("season.seed_rates", group_id=group_id), 303)
            except DomainError as exc:
                db.session.rollback()
                apply_domain_error(form, exc)
        status = 422
    else:
        form = seed_rates_form([p.id for p in products])
        for p in products:
            getattr(form, f"rate_{p.id}").data = fmt_qty(p.seed_rate) if p.seed_rate else ""
    return render_template("season/seed_rates.html", group=g.group, form=form,
                           products=products), status


# --------------------------------------------------------------------------
# Seed loans
# --------------------------------------------------------------------------


def _loan_or_404(loan_id: int):  # type: ignore[no-untyped-def]
    loan = seed.get_loan(db.session, g.group, loan_id)
    if loan is None or (not g.is_treasurer and (
            g.membership is None or loan.membership_id != g.membership.id)):
        abort(404)
    return loan


@bp.get("/groups/<int:group_id>/season/loans")
@group_view()
def loans(group_id: int):  # type: ignore[no-untyped-def]
    if g.is_treasurer:
        found = seed.list_loans(db.session, g.group)
    else:
        found = seed.list_loans(db.session, g.group, g.membership) if g.membership else []
    return render_then_commit("season/loans.html", group=g.group, loans=found,
                              states=seed.STATE_NAMES, modes=seed.MODE_NAMES,
                              positions={x.id: seed.position(x) for x in found},
                              outstanding=seed.outstanding(db.session, g.group)
                              if g.is_treasurer else [], today=local_today())


def _loan_choices(form: LoanForm) -> None:
    members = list_members(db.session, g.group, include_inactive=False)
    form.member.choices = choices([("", "—"), *[(str(m.id), m.user.name) for m in members]])
    rounds = seed.loanable_rounds(db.session, g.group)
    form.round.choices = choices([("", "—"), *[(str(r.id), r.title) for r in rounds]])
    products = services.seed_products(db.session, g.group)
    form.product.choices = choices([("", "—"), *[(str(p.id), p.name) for p in products]])


def _loan_form_page(form: LoanForm, status: int = 200):  # type: ignore[no-untyped-def]
    return render_template("season/loan_form.html", group=g.group, form=form), status


@bp.get("/groups/<int:group_id>/season/loans/new")
@group_view(treasurer=True)
def new_loan(group_id: int):  # type: ignore[no-untyped-def]
    form = LoanForm(formdata=None)
    _loan_choices(form)
    form.member.data = request.args.get("member", type=int)
    form.round.data = request.args.get("round", type=int)
    form.product.data = request.args.get("product", type=int)
    form.repay_ratio.data = input_number(Decimal("1.2"))
    _keyed(form)
    return _loan_form_page(form)


@bp.post("/groups/<int:group_id>/season/loans/new")
@group_view(treasurer=True)
def propose_loan(group_id: int):  # type: ignore[no-untyped-def]
    form = LoanForm()
    _loan_choices(form)
    made: list[int] = []

    def record(key: str) -> None:
        member = db.session.get(Membership, form.member.data or 0)
        if member is None or member.group_id != g.group.id:
            raise DomainError(_l("Unknown member."), field="member")
        ratio = form.repay_ratio.value
        bp_ = int(ratio * domain.BP) if ratio is not None else 0
        if ratio is not None and ratio * domain.BP != bp_:
            raise DomainError(_l("At most 4 decimals."), field="repay_ratio")
        loan = seed.propose_loan(db.session, g.group, member, round_id=form.round.data or 0,
                                 product_id=form.product.data or 0,
                                 repay_mode=form.repay_mode.data or "", repay_bp=bp_,
                                 due_on=form.due_on.data, actor=current_user,
                                 note=form.note.data or "", idempotency_key=key)
        made.append(loan.id)

    def earlier(key: str):  # type: ignore[no-untyped-def]
        return seed.loan_by_key(db.session, g.group.id, key)

    def failed(form: LoanForm, status: int):  # type: ignore[no-untyped-def]
        return _loan_form_page(form, status)

    response = once(form, earlier=earlier, recent=lambda: None, record=record,
                    back=url_for("season.loans", group_id=group_id), member=None,
                    failed=failed, done=_("The seed loan is proposed. Approve it when the "
                                          "group agrees."))
    if made and isinstance(response, Response) and response.status_code in (302, 303):
        return redirect(url_for("season.loan", group_id=group_id, loan_id=made[0]), 303)
    return response


@bp.get("/groups/<int:group_id>/season/loans/<int:loan_id>")
@group_view()
def loan(group_id: int, loan_id: int):  # type: ignore[no-untyped-def]
    loan = _loan_or_404(loan_id)
    cur = g.group.currency
    forms: dict[str, Any] = {}
    if g.is_treasurer and loan.state == domain.DELIVERED:
        forms = {"cash": _keyed(RepayCashForm(formdata=None, currency=cur)),
                 "write_off": _keyed(WriteOffLoanForm(formdata=None))}
        if loan.repay_mode == "kind":
            forms["kind"] = _keyed(_kind_form(loan, formdata=None))
    rnd = db.session.get(Round, loan.round_id)
    lots = {r.id: seed.lot_of(db.session, r) for r in loan.repayments if r.contribution_id}
    written_off = documents.loan_written_off(loan)
    return render_then_commit(
        "season/loan.html", group=g.group, loan=loan, rnd=rnd, position=seed.position(loan),
        lots=lots,
        states=seed.STATE_NAMES, modes=seed.MODE_NAMES, kinds=seed.REPAYMENT_NAMES,
        due_quantity=seed.due_quantity(loan), returned=seed.returned_quantity(loan),
        written_off_on=seed.written_off_on(loan), forms=forms, action=ActionForm(),
        given_up=None if written_off is None else written_off_text(written_off, cur),
        repaid=[r for r in loan.repayments if r.kind != "write_off"],
        write_offs=[r for r in loan.repayments if r.kind == "write_off"],
        ratio=fmt_number(Decimal(loan.repay_bp) / domain.BP))


@bp.post("/groups/<int:group_id>/season/loans/<int:loan_id>/<any(approve, deliver):step>")
@group_view(treasurer=True)
def loan_step(group_id: int, loan_id: int, step: str):  # type: ignore[no-untyped-def]
    """Each step is a conditional state move: sent twice, done once."""
    loan = _loan_or_404(loan_id)
    back = url_for("season.loan", group_id=group_id, loan_id=loan_id)
    form = ActionForm()
    if not form.validate_on_submit():
        return _refused(error_messages(form) or [_("The form has expired. Please send it again.")])
    target = {"approve": domain.APPROVED, "deliver": domain.DELIVERED}[step]
    if loan.state == target:
        return already_done(_("This was done already."), back)
    try:
        {"approve": seed.approve_loan, "deliver": seed.deliver_loan}[step](
            db.session, loan, current_user)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        db.session.refresh(loan)
        if loan.state == target:
            return already_done(_("This was done already."), back)
        return _refused([str(exc.message)], 409)
    flash({"approve": _("The loan is approved."),
           "deliver": _("The seed is handed over: the fund now carries its value, %(amount)s.",
                        amount=fmt_money(loan.value, g.group.currency))}[step], "success")
    return redirect(back, 303)


@bp.route("/groups/<int:group_id>/season/loans/<int:loan_id>/cancel", methods=["GET", "POST"])
@group_view(treasurer=True)
def cancel_loan(group_id: int, loan_id: int):  # type: ignore[no-untyped-def]
    """A cancelled loan cannot be brought back: the page says whose seed and
    how much, and asks first; the "yes" (with the token of what it showed)
    cancels once, a conditional move, so a second finds it done and says so."""
    loan = _loan_or_404(loan_id)
    back = url_for("season.loan", group_id=group_id, loan_id=loan_id)
    if loan.state == domain.CANCELLED:
        return already_done(_("The loan is cancelled."), back)
    if request.method == "POST" and not ActionForm().validate_on_submit():
        return _refused([_("The form has expired. Please send it again.")])
    if not domain.can_move_loan(loan.state, domain.CANCELLED):
        refusal = _("A loan that is %(state)s cannot become %(target)s.",
                    state=seed.STATE_NAMES[loan.state],
                    target=seed.STATE_NAMES[domain.CANCELLED])
        if request.method == "GET":
            flash(refusal, "info")
            return redirect(back)
        return _refused([refusal], 409)
    token = figures_token(loan.state, loan.membership_id, loan.product_id, loan.quantity,
                          loan.value, loan.repay_mode, loan.repay_bp)
    answer = confirmed(token) if request.method == "POST" else None
    if answer is not True:
        ask = Confirmation(action=request.path, button=_("Cancel the loan"), back=back,
                           token=token, danger=True)
        return render_template("season/loan_cancel.html", group=g.group, loan=loan, ask=ask,
                               states=seed.STATE_NAMES, changed=answer is False), \
            409 if answer is False else 200
    try:
        seed.cancel_loan(db.session, loan, current_user)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        db.session.refresh(loan)
        if loan.state == domain.CANCELLED:
            return already_done(_("The loan is cancelled."), back)
        return _refused([str(exc.message)], 409)
    flash(_("The loan is cancelled."), "success")
    return redirect(back, 303)


def _repay(loan, form, record, done, recent):  # type: ignore[no-untyped-def]
    """A repayment, a return or a write-off: sent again with the same key, shown
    as recorded; one like it recorded on this loan in the last 24 h (Back, a new
    key, the same figures) asks first, as every money form does."""
    back = url_for("season.loan", group_id=g.group.id, loan_id=loan.id)
    return once(form, earlier=lambda key: seed.repayment_by_key(db.session, g.group.id, key),
                recent=lambda: _same_repayment(loan, recent()), record=record, back=back,
                member=loan.membership, done=done)


def _same_repayment(loan: SeedLoan, repayment) -> str | None:  # type: ignore[no-untyped-def]
    if repayment is None:
        return None
    amount = fmt_money(repayment.amount, g.group.currency)
    if repayment.quantity:
        amount = f"{unit_text.quantity(repayment.quantity, loan.product.unit)}, {amount}"
    return _("The same entry (%(kind)s, %(amount)s, “%(memo)s”) was recorded at %(time)s. "
             "Record another?", kind=seed.REPAYMENT_NAMES[repayment.kind], amount=amount,
             memo=seed.loan_title(loan), time=when(repayment.created_at))


@bp.post("/groups/<int:group_id>/season/loans/<int:loan_id>/repay")
@group_view(treasurer=True)
def repay_cash(group_id: int, loan_id: int):  # type: ignore[no-untyped-def]
    loan = _loan_or_404(loan_id)
    form = RepayCashForm(currency=g.group.currency)
    return _repay(loan, form, lambda key: seed.repay_cash(
        db.session, loan, amount=form.amount.minor or 0, method=form.method.data or "",
        actor=current_user, idempotency_key=key, note=form.note.data or ""),
        _("The repayment is recorded."),
        lambda: seed.recent_repayment(db.session, loan, "cash", amount=form.amount.minor or 0,
                                      method=form.method.data or ""))


def _kind_form(loan: SeedLoan, **kwargs: Any) -> RepayKindForm:
    """The in-kind return: into the seed stock, or into an open sales lot of
    the same unit, in the fund's name."""
    form = RepayKindForm(**kwargs)
    form.destination.choices = [("stock", _("Into the seed stock"))] + [
        (f"{lot.id}-{grade.id}", _("Into the sales lot %(lot)s, %(grade)s, in the fund's name",
                                   lot=lot_title(lot), grade=grade.name))
        for lot, grade in seed.lots_for_return(db.session, loan)]
    return form


@bp.post("/groups/<int:group_id>/season/loans/<int:loan_id>/return")
@group_view(treasurer=True)
def repay_kind(group_id: int, loan_id: int):  # type: ignore[no-untyped-def]
    loan = _loan_or_404(loan_id)
    form = RepayKindForm()
    lot_id, grade_id = form.lot_and_grade()
    done = (_("The produce is in the sales lot in the fund's name; the loan is credited.")
            if lot_id is not None else _("The seed is in the group's stock; the loan is credited."))
    return _repay(loan, form, lambda key: seed.repay_in_kind(
        db.session, loan, quantity=_milli(form.quantity.value) or 0, actor=current_user,
        idempotency_key=key, note=form.note.data or "", lot_id=lot_id, grade_id=grade_id),
        done, lambda: seed.recent_repayment(db.session, loan, "kind",
                                            quantity=_milli(form.quantity.value) or 0))


@bp.post("/groups/<int:group_id>/season/loans/<int:loan_id>/write-off")
@group_view(treasurer=True)
def write_off(group_id: int, loan_id: int):  # type: ignore[no-untyped-def]
    loan = _loan_or_404(loan_id)
    form = WriteOffLoanForm()
    booked: list[object] = []

    def record(key: str) -> None:
        booked.append(seed.write_off_loan(db.session, loan, reason=form.reason.data or "",
                                          actor=current_user, idempotency_key=key))

    def done() -> str:
        if booked and booked[0] is None:  # all the value lent came back: only the premium
            return _("The loan is closed. All the value lent came back, so the fund loses "
                     "nothing and nothing is entered in the books; the %(amount)s still "
                     "unpaid above the value is given up.",
                     amount=fmt_money(seed.position(loan).unpaid, g.group.currency))
        return _("The loan is written off; the solidarity fund carries it.")

    return _repay(loan, form, record, done,
                  lambda: seed.recent_repayment(db.session, loan, "write_off"))


@bp.get("/groups/<int:group_id>/season/loans/<int:loan_id>/slip.pdf")
@group_view()
def loan_slip(group_id: int, loan_id: int):  # type: ignore[no-untyped-def]
    loan = _loan_or_404(loan_id)
    return pdf_response(documents.loan_slip_pdf(db.session, loan), f"seed-loan-{loan.id}.pdf")


# --------------------------------------------------------------------------
# The seed stock
# --------------------------------------------------------------------------


def _stock_page(form: StockOutForm, status: int = 200):  # type: ignore[no-untyped-def]
    register = seed.stock_register(db.session, g.group)
    form.product.choices = choices([("", "—"), *[(str(r.product.id), r.product.name)
                                                 for r in register if r.on_hand > 0]])
    return render_then_commit("season/stock.html", group=g.group, register=register,
                              moves=seed.stock_moves(db.session, g.group), form=form), status


@bp.get("/groups/<int:group_id>/season/stock")
@group_view(treasurer=True)
def stock(group_id: int):  # type: ignore[no-untyped-def]
    return _stock_page(_keyed(StockOutForm(formdata=None)))


@bp.post("/groups/<int:group_id>/season/stock/out")
@group_view(treasurer=True)
def stock_out(group_id: int):  # type: ignore[no-untyped-def]
    form = StockOutForm()
    form.product.choices = []
    return once(form, earlier=lambda key: seed.stock_move_by_key(db.session, g.group.id, key),
                recent=lambda: None,
                record=lambda key: seed.take_from_stock(
                    db.session, g.group, product_id=form.product.data or 0,
                    quantity=_milli(form.quantity.value) or 0, note=form.note.data or "",
                    actor=current_user, idempotency_key=key),
                back=url_for("season.stock", group_id=group_id), member=None,
                failed=lambda form, status: _stock_page(form, status),
                done=_("The seed taken out of the stock is recorded."))


@bp.app_template_filter("season_qty")
def _season_qty(milli: int | None, unit: str) -> str:
    return "—" if milli is None else unit_text.quantity(milli, unit)
