from __future__ import annotations

from datetime import date

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import to_user_timezone
from flask_login import current_user, login_required

from coop.auth import services as auth_services
from coop.auth.services import PURPOSE_INVITE, PURPOSE_RESET
from coop.extensions import db
from coop.forms import ActionForm
from coop.groups import services
from coop.groups.access import group_view, member_in_group
from coop.groups.forms import GroupForm, MemberForm, SettingsForm
from coop.i18n import input_percent
from coop.security import MEMBER_LINKS
from coop.views import render_then_commit, saving

bp = Blueprint("groups", __name__, template_folder="templates")


@bp.get("/")
@login_required
def home():  # type: ignore[no-untyped-def]
    groups = services.groups_of(db.session, current_user)
    if len(groups) == 1 and not current_user.is_admin:
        return redirect(url_for("groups.dashboard", group_id=groups[0].id))
    return render_template("groups/home.html", groups=groups)


@bp.route("/admin/groups/new", methods=["GET", "POST"])
@login_required
def create_group():  # type: ignore[no-untyped-def]
    if not current_user.is_admin:
        abort(403)
    form = GroupForm()
    if request.method == "GET":  # the app's language (Russian unless set otherwise)
        form.language.data = current_app.config["BABEL_DEFAULT_LOCALE"]
    if form.validate_on_submit():
        with saving(form) as saved:
            group = services.create_group(
                db.session, current_user, name=form.name.data, village=form.village.data or "",
                region=form.region.data or "", country=form.country.data,
                currency=form.currency.data, language=form.language.data)
        if saved:
            flash(_("The group is created. Now add its treasurer."), "success")
            return redirect(url_for("groups.add_member", group_id=group.id))
    status = 422 if request.method == "POST" else 200
    return render_template("groups/group_form.html", form=form), status


@bp.get("/groups/<int:group_id>")
@group_view()
def dashboard(group_id: int):  # type: ignore[no-untyped-def]
    from coop import charts
    from coop.i18n import fmt_date, fmt_money
    from coop.ledger import services as ledger
    from coop.orders import services as orders

    group = g.group
    members = services.list_members(db.session, group, include_inactive=False)
    history = ledger.fund_history(db.session, group)
    fund_balance = history[-1][1] if history else 0
    # the balance at the end of each day where the group lives, as its statements
    # print the day (not UTC's): a settlement's many postings are one step, not
    # a peak halfway through them (found on a walk: "highest" above the balance)
    by_day: dict[date, int] = {}
    for at, balance in history:
        by_day[to_user_timezone(at).date()] = balance
    lowest, highest = min([0, *by_day.values()]), max([0, *by_day.values()])
    # the fund opened empty: the line starts at 0 on its first day, so that a
    # fund that moved on one day only is a step up (or down), not a flat line
    opening = [(fmt_date(next(iter(by_day))), 0)] if by_day else []
    fund_chart = charts.step_chart(
        [*opening, *((fmt_date(day), balance) for day, balance in by_day.items())],
        # the scale's ends, said as such: next to the fund's balance a bare
        # highest balance read as the balance (found on the walk)
        low_text=_("lowest: %(amount)s", amount=fmt_money(lowest, group.currency)) if lowest
        else fmt_money(0, group.currency),
        high_text=_("highest: %(amount)s", amount=fmt_money(highest, group.currency)))
    savings = orders.savings_by_round(db.session, group)
    savings_chart = charts.bar_chart(
        [(title, saved, fmt_money(saved, group.currency)) for title, saved in savings])
    my_balance = (ledger.member_balance(db.session, g.membership)
                  if g.membership is not None else None)
    open_rounds = [r for r in orders.list_rounds(db.session, group, include_drafts=False)
                   if r.state == "open"]
    from coop.certificates import services as certificates
    from coop.equipment import services as equipment
    from coop.i18n import local_today

    today = local_today()
    reminders = certificates.reminders(db.session, group, today) if g.is_treasurer else []
    my_bookings = (equipment.upcoming(db.session, group, today, g.membership)
                   if g.membership is not None else [])
    # the treasurer phones those who keep equipment past their turn
    overdue_equipment = (equipment.overdue_turns(db.session, group, equipment.local_slot())
                         if g.is_treasurer else [])

    from coop.season import services as season
    open_surveys = [s for s in season.list_surveys(db.session, group, include_drafts=False)
                    if s.state == "open"]
    from coop.timebank import services as timebank

    return render_then_commit("groups/dashboard.html", group=group, members=members,
                              reminders=reminders, my_bookings=my_bookings,
                              overdue_equipment=overdue_equipment,
                              fund_balance=fund_balance, fund_chart=fund_chart,
                              savings_chart=savings_chart, savings=savings,
                              my_balance=my_balance, open_rounds=open_rounds,
                              open_surveys=open_surveys,
                              time_bank=timebank.dashboard_card(db.session, group,
                                                                g.membership))


@bp.get("/groups/<int:group_id>/members")
@group_view()
def members(group_id: int):  # type: ignore[no-untyped-def]
    memberships = services.list_members(db.session, g.group, include_inactive=g.is_treasurer)
    phones = {m.id: m.user.phone for m in memberships if m.user.phone and services.phone_visible(
        m, g.membership, is_treasurer=g.is_treasurer)}
    return render_template("groups/members.html", group=g.group, memberships=memberships,
                           phones=phones)


@bp.route("/groups/<int:group_id>/members/new", methods=["GET", "POST"])
@group_view(treasurer=True)
def add_member(group_id: int):  # type: ignore[no-untyped-def]
    form = MemberForm()
    if request.method == "GET":
        # none of her own: her phone's language, or the one she picks, becomes
        # hers when she first signs in (coop.i18n.select_locale); the group's,
        # once set here, gave a Kyrgyz phone Russian pages after the invite
        form.locale.data = ""
        if not services.list_members(db.session, g.group):
            form.role.data = "treasurer"
    if form.validate_on_submit():
        with saving(form) as saved:
            membership = services.add_member(
                db.session, g.group, name=form.name.data, email=form.email.data,
                phone=form.phone.data, role=form.role.data, locale=form.locale.data or None)
        if saved:
            flash(_("%(name)s is added to the group.", name=membership.user.name), "success")
            return redirect(url_for("groups.member", group_id=group_id,
                                    membership_id=membership.id))
    status = 422 if request.method == "POST" else 200
    return render_template("groups/member_form.html", group=g.group, form=form), status


@bp.route("/groups/<int:group_id>/members/<int:membership_id>", methods=["GET", "POST"])
@group_view(treasurer=True)
def member(group_id: int, membership_id: int):  # type: ignore[no-untyped-def]
    membership = member_in_group(g.group, membership_id)
    user = membership.user
    form = MemberForm(obj=user)
    if request.method == "GET":
        form.role.data, form.locale.data = membership.role, user.locale or ""
    if form.validate_on_submit():
        with saving(form) as saved:
            services.update_member(db.session, membership, name=form.name.data,
                                   email=form.email.data, phone=form.phone.data,
                                   locale=form.locale.data or None)
            if form.role.data != membership.role:
                services.set_role(db.session, membership, form.role.data)
        if saved:
            flash(_("Saved."), "success")
            return redirect(url_for("groups.member", group_id=group_id,
                                    membership_id=membership_id))
    status = 422 if request.method == "POST" else 200
    return render_template("groups/member.html", group=g.group, membership=membership,
                           form=form), status


@bp.post("/groups/<int:group_id>/members/<int:membership_id>/<any(deactivate,reactivate):action>")
@group_view(treasurer=True)
def member_status(group_id: int, membership_id: int, action: str):  # type: ignore[no-untyped-def]
    membership = member_in_group(g.group, membership_id)
    if action == "deactivate":
        services.deactivate_member(db.session, membership)
        flash(_("%(name)s is now inactive. Her history is kept.", name=membership.user.name),
              "info")
    else:
        services.reactivate_member(db.session, membership)
        flash(_("%(name)s is active again.", name=membership.user.name), "info")
    db.session.commit()
    return redirect(url_for("groups.member", group_id=group_id, membership_id=membership_id))


KEPT_LINKS = 10  # the links made last in this browser


def _kept_links() -> list[list]:  # type: ignore[type-arg]
    """[[membership id, raw token], …], oldest first: those the signed-in
    treasurer made in this browser (none of anyone else's)."""
    kept = session.get(MEMBER_LINKS) or {}
    return list(kept.get("links") or []) if kept.get("user") == current_user.id else []


@bp.post("/groups/<int:group_id>/members/<int:membership_id>/link")
@group_view(treasurer=True)
def member_link(group_id: int, membership_id: int):  # type: ignore[no-untyped-def]
    """A one-time invite (no password yet) or reset link, to pass on by hand.
    Kept in the treasurer's own session (only its hash is in the database) and
    shown after a redirect: a reload, Back or coming back from WhatsApp shows
    the same link again and never makes a new one (as the suppliers' links)."""
    membership = member_in_group(g.group, membership_id)
    if membership.user.is_admin and not current_user.is_admin:
        abort(403)
    purpose = PURPOSE_RESET if membership.user.password_hash else PURPOSE_INVITE
    raw = auth_services.issue_link_token(db.session, current_user, membership.user, purpose)
    db.session.commit()
    kept = [pair for pair in _kept_links() if pair[0] != membership.id] + [[membership.id, raw]]
    session[MEMBER_LINKS] = {"user": current_user.id, "links": kept[-KEPT_LINKS:]}
    return redirect(url_for("groups.member_link_page", group_id=group_id,
                            membership_id=membership_id), 303)


@bp.get("/groups/<int:group_id>/members/<int:membership_id>/link")
@group_view(treasurer=True)
def member_link_page(group_id: int, membership_id: int):  # type: ignore[no-untyped-def]
    """The link made last for her in this browser, while it still works;
    else a button to make a new one. Showing it makes nothing. Not cached."""
    membership = member_in_group(g.group, membership_id)
    raw = next((raw for mid, raw in _kept_links() if mid == membership.id), None)
    token = auth_services.usable_link_token(db.session, raw) if raw else None
    shown = token is not None and token.user_id == membership.user_id
    response = make_response(render_template(
        "groups/member_link.html", group=g.group, membership=membership,
        link=url_for("auth.redeem_link", token=raw, _external=True) if shown else None,
        purpose=token.purpose if shown else None, form=ActionForm()))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/groups/<int:group_id>/settings", methods=["GET", "POST"])
@group_view(treasurer=True)
def settings(group_id: int):  # type: ignore[no-untyped-def]
    group = g.group
    form = SettingsForm(currency=group.currency)
    if request.method == "GET":
        form.levy_percent.data = input_percent(group.levy_basis_points)
        form.cash_rounding.set_minor(group.cash_rounding or None)
        form.loss_policy.data = group.loss_policy
        form.credit_limit.set_minor(group.credit_limit)
        form.timezone.data = group.timezone
        form.language.data = group.language
    if form.validate_on_submit():
        levy = form.levy_percent.value
        with saving(form) as saved:
            services.update_settings(
                db.session, group,
                levy_basis_points=int(levy * 100) if levy is not None else 0,
                cash_rounding=form.cash_rounding.minor or 0,
                loss_policy=form.loss_policy.data, credit_limit=form.credit_limit.minor,
                timezone=form.timezone.data or None, language=form.language.data or None)
        if saved:
            flash(_("Settings saved."), "success")
            return redirect(url_for("groups.dashboard", group_id=group_id))
    status = 422 if request.method == "POST" else 200
    return render_template("groups/settings.html", group=group, form=form), status
