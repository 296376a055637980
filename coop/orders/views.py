from __future__ import annotations

import hashlib
from typing import Any, Literal

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    get_template_attribute,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale, ngettext, to_user_timezone, to_utc
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.exc import IntegrityError

from coop import unit_text
from coop.documents.models import PURCHASE_ORDER
from coop.documents.services import round_documents
from coop.errors import AskFirst, DomainError
from coop.extensions import db
from coop.forms import ActionForm, choices, error_messages
from coop.groups.access import (
    counts_members,
    group_view,
    member_in_group,
    reads_balance,
    reads_split,
    signed_in_balance,
    signed_in_member_count,
    signed_in_round,
)
from coop.groups.models import Membership
from coop.groups.services import find_members, member_picker
from coop.i18n import fmt_money, input_percent
from coop.ledger import services as ledger
from coop.ledger.views import ask_again, when
from coop.money import TYPED_LIMIT
from coop.orders import cache as split_cache
from coop.orders import domain, explain, services
from coop.orders.forms import (
    CreditNoteForm,
    DeliveryForm,
    RoundForm,
    SharedCostForm,
    parse_delivery_form,
    parse_order_form,
    rule_choices,
)
from coop.orders.models import Round
from coop.paging import Page
from coop.payables import services as payables
from coop.views import Confirmation, already_done, confirmed, figures_token, saving

bp = Blueprint("orders", __name__, template_folder="templates")

MEMBERS_PER_PAGE = 50
PICKER_LIMIT = 100  # members in the round page's drop-down; more: search by name
MOVES = {"open": domain.OPEN, "close": domain.CLOSED, "cancel": domain.CANCELLED,
         "award": domain.AWARDED}


def _round_or_404(round_id: int, *, with_items: bool | Literal["products"] = True) -> Round:
    # the round alone: as the sign-in read it, with the user (one statement fewer)
    rnd = None if with_items else signed_in_round(g.group.id, round_id)
    if rnd is None:
        rnd = services.get_round(db.session, g.group, round_id, with_items=with_items)
    if rnd is None or (rnd.state == domain.DRAFT and not g.is_treasurer):
        abort(404)
    return rnd


@bp.get("/groups/<int:group_id>/rounds")
@group_view()
def list_rounds(group_id: int):  # type: ignore[no-untyped-def]
    rounds = services.list_rounds(db.session, g.group, include_drafts=g.is_treasurer)
    return render_template("orders/rounds.html", group=g.group, rounds=rounds,
                           states=services.STATE_NAMES)


def _fill_round_form(form: RoundForm) -> None:
    from coop.suppliers.services import list_products

    products = list_products(db.session, g.group)
    form.products.choices = choices(
        [(p.id, f"{p.name} — {p.supplier.name}") for p in products])


def _round_fields(form: RoundForm) -> dict:
    deadline = to_utc(form.deadline.data) if form.deadline.data else None
    levy = form.levy_percent.value
    return {"title": form.title.data, "deadline": deadline,
            "product_ids": form.products.data or [],
            "delivery_place": form.delivery_place.data or "",
            "delivery_date": form.delivery_date.data,
            "loss_policy": form.loss_policy.data,
            "levy_basis_points": int(levy * 100) if levy is not None else 0,
            "cash_rounding": form.cash_rounding.minor or 0}


@bp.route("/groups/<int:group_id>/rounds/new", methods=["GET", "POST"])
@group_view(treasurer=True)
def new_round(group_id: int):  # type: ignore[no-untyped-def]
    form = RoundForm(currency=g.group.currency)
    _fill_round_form(form)
    if request.method == "GET":
        form.loss_policy.data = g.group.loss_policy
        form.levy_percent.data = input_percent(g.group.levy_basis_points)
        form.cash_rounding.set_minor(g.group.cash_rounding or None)
    if form.validate_on_submit():
        fields = _round_fields(form)
        with saving(form) as saved:
            rnd = services.create_round(
                db.session, g.group, current_user, title=fields["title"],
                deadline=fields["deadline"], product_ids=fields["product_ids"],
                delivery_place=fields["delivery_place"], delivery_date=fields["delivery_date"])
            services.update_round(db.session, rnd, **fields)
        if saved:
            flash(_("The round is created as a draft. Open it when it is ready."), "success")
            return redirect(url_for("orders.round_page", group_id=group_id, round_id=rnd.id))
    status = 422 if request.method == "POST" else 200
    return render_template("orders/round_form.html", group=g.group, form=form, rnd=None), status


@bp.route("/groups/<int:group_id>/rounds/<int:round_id>/edit", methods=["GET", "POST"])
@group_view(treasurer=True)
def edit_round(group_id: int, round_id: int):  # type: ignore[no-untyped-def]
    rnd = _round_or_404(round_id)
    form = RoundForm(currency=g.group.currency)
    _fill_round_form(form)
    if request.method == "GET":
        form.title.data = rnd.title
        form.deadline.data = to_user_timezone(rnd.deadline).replace(tzinfo=None) \
            if rnd.deadline else None
        form.products.data = [item.product_id for item in rnd.items]
        form.delivery_place.data, form.delivery_date.data = rnd.delivery_place, rnd.delivery_date
        form.loss_policy.data = rnd.loss_policy
        form.levy_percent.data = input_percent(rnd.levy_basis_points)
        form.cash_rounding.set_minor(rnd.cash_rounding or None)
    if form.validate_on_submit():
        with saving(form) as saved:
            services.update_round(db.session, rnd, **_round_fields(form))
        if saved:
            flash(_("Saved."), "success")
            return redirect(url_for("orders.round_page", group_id=group_id, round_id=rnd.id))
    status = 422 if request.method == "POST" else 200
    return render_template("orders/round_form.html", group=g.group, form=form, rnd=rnd), status


@bp.get("/groups/<int:group_id>/rounds/<int:round_id>")
@group_view()
@counts_members
@reads_split
def round_page(group_id: int, round_id: int):  # type: ignore[no-untyped-def]
    rnd = _round_or_404(round_id, with_items=False)
    context = {"group": g.group, "rnd": rnd, "states": services.STATE_NAMES}
    figures = split_cache.round_summary(db.session, rnd)
    # The whole page is kept, under the round's token, which the figures, the
    # costs, the state and its history, and the names of members, products and
    # suppliers renew; beside those, it shows what `shown` holds.
    shown: tuple[Any, ...] = (
        current_user.id, current_user.name, g.group.name, g.group.language, g.group.currency,
        g.group.timezone, g.is_treasurer, g.membership.id if g.membership else None,
        rnd.title, rnd.deadline, rnd.delivery_place, rnd.delivery_date, request.script_root,
        request.full_path)
    if not g.is_treasurer:
        def member_page(csrf: str, _form_key: str) -> str:
            return render_template("orders/round.html", **context,
                                   packs=_pack_rows(rnd, figures), csrf_token=lambda: csrf)

        return split_cache.kept_page(rnd, "round-member", shown, member_page)
    picker = member_picker(db.session, g.group, PICKER_LIMIT,
                           signed_in_member_count(g.group.id)) \
        if rnd.state == domain.OPEN else None
    supplier_bills = payables.round_supplier_bills(db.session, rnd)

    def page(csrf: str, form_key: str) -> str:
        summary = explain.RoundSummary(figures, g.group.currency)
        shown_page = Page(summary.members, request.args.get("page", 1, type=int),
                          MEMBERS_PER_PAGE)
        if shown_page.number != shown_page.requested:
            abort(404)
        parts = {"group": g.group, "rnd": rnd, "summary": summary}
        figures_html = split_cache.fragment(rnd, "round", lambda: render_template(
            "orders/_round_figures.html", **parts, packs=_pack_rows(rnd, figures)))
        members = split_cache.fragment(
            rnd, f"round-members:{shown_page.number}",
            lambda: render_template("orders/_round_members.html", **parts, page=shown_page))
        cost_form = SharedCostForm(currency=g.group.currency)
        cost_form.new_key(form_key)
        cost_form.csrf_token.current_token = csrf
        cost_form.supplier.choices = _supplier_choices(rnd)
        return render_template(
            "orders/round.html", **context, figures=figures_html, members=members,
            summary=summary, cost_form=cost_form, picker=picker,
            rule_names={c.value: c.label for c in rule_choices()},
            history=services.round_history(db.session, rnd), supplier_bills=supplier_bills,
            csrf_token=lambda: csrf)

    # and the treasurer's: the members to enter an order for, the supplier
    # bills (read on each view: a payment to a supplier does not change the round)
    shown += (picker, supplier_bills)
    return split_cache.kept_page(rnd, "round", shown, page)


def _pack_rows(rnd: Round, figures: Any) -> list:
    """How full each pack is, from the round's split (the same on the
    treasurer's and a member's view of the round); once the delivery is
    confirmed, what of each was shared out."""
    shared_out = None
    if rnd.state in (domain.RECEIVED, domain.SETTLED):
        to_thousandths = 10 ** (3 - figures.qty_decimals)
        shared_out = [row.allocated * to_thousandths for row in figures.products]
    return explain.pack_rows(services.summary_fills(services.with_items(db.session, rnd),
                                                    figures), shared_out)


def _supplier_choices(rnd: Round) -> list:
    suppliers = services.round_suppliers(db.session, rnd)
    return choices([("", _("all suppliers")), *[(str(k), v) for k, v in suppliers]])


@bp.get("/groups/<int:group_id>/rounds/<int:round_id>/<any(close,cancel):move>")
@group_view(treasurer=True)
def confirm_move(group_id: int, round_id: int, move: str):  # type: ignore[no-untyped-def]
    """Closing orders and cancelling a round cannot be undone: the round page
    links here, and this page asks first, saying what it means (for closing:
    who has not ordered yet), before the POST does it."""
    rnd = _round_or_404(round_id)
    back = url_for("orders.round_page", group_id=group_id, round_id=round_id)
    if not domain.can_move(rnd.state, MOVES[move]):
        flash(_("The round is %(state)s: this cannot be done now.",
                state=services.STATE_NAMES[rnd.state]), "info")
        return redirect(back)
    waiting = services.not_ordered(db.session, rnd) if move == "close" else []
    issued = [d for d in round_documents(db.session, rnd) if d.doc_type == PURCHASE_ORDER] \
        if move == "cancel" else []
    return render_template("orders/confirm_move.html", group=g.group, rnd=rnd, move=move,
                           waiting=waiting[:WAITING_SHOWN], more=len(waiting) - WAITING_SHOWN,
                           waiting_count=len(waiting), issued=issued, back=back,
                           form=ActionForm())


WAITING_SHOWN = 30  # members who have not ordered, named on the page before closing


@bp.post("/groups/<int:group_id>/rounds/<int:round_id>/<any(open,close,cancel,award):move>")
@group_view(treasurer=True)
def move_round(group_id: int, round_id: int, move: str):  # type: ignore[no-untyped-def]
    rnd = _round_or_404(round_id)
    if move == "award":
        services.award_at_list_prices(db.session, rnd, current_user)
    else:
        services.move_round(db.session, rnd, current_user, MOVES[move])
    db.session.commit()
    flash(_("The round is now %(state)s.", state=services.STATE_NAMES[rnd.state]), "success")
    return redirect(url_for("orders.round_page", group_id=group_id, round_id=round_id))


@bp.post("/groups/<int:group_id>/rounds/<int:round_id>/costs")
@group_view(treasurer=True)
def add_cost(group_id: int, round_id: int):  # type: ignore[no-untyped-def]
    rnd = _round_or_404(round_id)
    form = SharedCostForm(currency=g.group.currency)
    form.supplier.choices = _supplier_choices(rnd)
    back = url_for("orders.round_page", group_id=group_id, round_id=round_id, _anchor="costs")
    valid = form.validate_on_submit()
    if valid and services.shared_cost_by_key(db.session, rnd, form.idempotency_key.data):
        flash(_("This was recorded already."), "info")
        return redirect(back)
    # (a supplier that is no number is refused by validation, before it is read)
    supplier_id = int(form.supplier.data) if valid and form.supplier.data else None
    same = services.same_shared_cost(
        db.session, rnd, name=form.name.data or "", amount=form.amount.minor or 0,
        rule=form.rule.data or "", supplier_id=supplier_id) \
        if valid and not form.confirmed else None
    if same is not None:  # the form sent again through Back, with a new key
        return ask_again(form, _(
            "The same cost (%(name)s, %(amount)s) is already one of the round's costs. Add "
            "another?", name=same.name, amount=fmt_money(same.amount, g.group.currency)), back)
    if valid:
        try:
            with saving(form) as saved:
                services.add_shared_cost(
                    db.session, rnd, name=form.name.data, amount=form.amount.minor or 0,
                    rule=form.rule.data, supplier_id=supplier_id,
                    idempotency_key=ledger.check_key(form.idempotency_key.data))
        except IntegrityError:  # the same form sent twice at the same moment
            db.session.rollback()
            saved = True
        if saved:
            flash(_("The cost is added and shared."), "success")
            return redirect(back)
    errors = error_messages(form)
    return render_template("orders/not_saved.html", group=g.group, rnd=rnd, errors=errors,
                           back=back), 422


@bp.post("/groups/<int:group_id>/rounds/<int:round_id>/costs/<int:cost_id>/delete")
@group_view(treasurer=True)
def remove_cost(group_id: int, round_id: int, cost_id: int):  # type: ignore[no-untyped-def]
    rnd = _round_or_404(round_id)
    back = url_for("orders.round_page", group_id=group_id, round_id=round_id, _anchor="costs")
    try:
        services.remove_shared_cost(db.session, rnd, cost_id)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return redirect(back)
    db.session.commit()
    flash(_("The cost is removed."), "info")
    return redirect(back)


def _whose(membership_id: int | None) -> Membership:
    """The member whose order or share this is: oneself, or (treasurer) anyone."""
    if membership_id is None:
        if g.membership is None:
            abort(404)
        return g.membership
    if not g.is_treasurer and (g.membership is None or g.membership.id != membership_id):
        abort(404)
    return member_in_group(g.group, membership_id)


@bp.get("/groups/<int:group_id>/rounds/<int:round_id>/order-for")
@group_view(treasurer=True)
def order_for(group_id: int, round_id: int):  # type: ignore[no-untyped-def]
    """The treasurer picks a member to enter an order for: from the list, or
    (a large group) by a part of her name or phone number."""
    rnd = _round_or_404(round_id, with_items=False)
    if "member" in request.args:
        member = member_in_group(g.group, request.args.get("member", type=int) or 0)
        return redirect(url_for("orders.order", group_id=group_id, round_id=round_id,
                                membership_id=member.id))
    search = (request.args.get("q") or "").strip()[:120]
    found = find_members(db.session, g.group, search, limit=PICKER_LIMIT)
    return render_template("orders/order_for.html", group=g.group, rnd=rnd, search=search,
                           found=found, limit=PICKER_LIMIT)


@bp.route("/groups/<int:group_id>/rounds/<int:round_id>/order", methods=["GET", "POST"])
@bp.route("/groups/<int:group_id>/rounds/<int:round_id>/order/<int:membership_id>",
          methods=["GET", "POST"])
@group_view()
def order(group_id: int, round_id: int, membership_id: int | None = None):  # type: ignore[no-untyped-def]
    # an order is saved against its products' terms alone; the page shows their prices too
    rnd = _round_or_404(round_id, with_items=request.method != "POST")
    member = _whose(membership_id)
    typed = None
    error = None
    # (CSRFProtect checked a POST's token before the view: the form, its
    # token alone, is made only for the page)
    if request.method == "POST":
        # (her membership locked, and the terms read with her lines: every
        # line is checked against them here, to mark each wrong one, and then
        # by save_order)
        locked = services.lock_order(db.session, rnd, member)
        lines, typed = parse_order_form(request.form, list(locked.terms))
        not_numbers = any(line.wrong for line in typed.values())
        wrong = services.order_line_errors(locked.terms, lines)
        for item_id, problem in wrong.items():  # every line marked, not the first alone
            typed[item_id].mark(str(problem.message), problem.field)
        if not_numbers:
            error = _("Some quantities need correcting: see the marked lines. Nothing was saved.")
        elif len(wrong) == 1:
            error = str(next(iter(wrong.values())).message)
        elif wrong:
            error = ngettext("%(num)d product cannot be ordered as typed: see the marked "
                             "line. Nothing was saved.",
                             "%(num)d products cannot be ordered as typed: see the marked "
                             "lines. Nothing was saved.", len(wrong))
        else:
            try:
                changed = services.save_order(db.session, rnd, member, lines, current_user,
                                              as_treasurer=g.is_treasurer, locked=locked)
            except DomainError as exc:  # (rolled back below)
                error = str(exc.message)
                if exc.field and "_" in exc.field:
                    item_id = int(exc.field.rsplit("_", 1)[1])
                    typed[item_id].mark(error, exc.field)
            else:
                db.session.commit()
                flash(_("Your order is saved.") if member == g.membership else
                      _("The order of %(name)s is saved.", name=member.user.name), "success")
                if changed == 0:
                    flash(_("Nothing changed."), "info")
                return redirect(url_for("orders.order", group_id=group_id, round_id=round_id,
                                        membership_id=membership_id))
    if request.method == "POST":  # not saved: the lock let go before the page is made
        db.session.rollback()
        rnd = services.load_round(db.session, rnd)
        if rnd.state != domain.OPEN:  # (closed meanwhile) what she typed cannot be saved:
            typed = None  # her order as it stands, and why, once
            error = str(services.not_open_for_orders().message)
    existing = services.order_of(db.session, rnd, member)
    pack_fills = services.pack_fills(db.session, rnd)
    fills = dict((item.id, fill) for item, fill in pack_fills)
    status = 422 if request.method == "POST" else 200
    return render_template("orders/order.html", group=g.group, rnd=rnd, member=member,
                           existing=existing, typed=typed, error=error, fills=fills,
                           packs=explain.pack_statuses(pack_fills),
                           terms={item.id: services.item_terms(item)[2] for item in rnd.items},
                           form=ActionForm(), can_order=rnd.state == domain.OPEN,
                           history=services.order_history(db.session, rnd, member)), status


@bp.get("/groups/<int:group_id>/rounds/<int:round_id>/share")
@bp.get("/groups/<int:group_id>/rounds/<int:round_id>/share/<int:membership_id>")
@group_view()
@reads_balance
@reads_split
def share(group_id: int, round_id: int, membership_id: int | None = None):  # type: ignore[no-untyped-def]
    rnd = _round_or_404(round_id, with_items=False)
    member = _whose(membership_id)
    figures = split_cache.member_share(db.session, rnd, member.id)
    balance = signed_in_balance(member)
    if balance is None:  # another member's share, seen by the treasurer
        balance = ledger.member_balance(db.session, member)
    # The page is kept around her bill and its text, each kept as a part of its
    # own under the round's figures (whose they are) and the language: the page
    # around them under what `shown` holds, which says all else it shows.
    shown = (current_user.id, current_user.name, g.group.name, g.group.language,
             g.group.currency, g.is_treasurer, g.membership.id if g.membership else None,
             member.id, member.user.name, member.user.locale, rnd.title, balance,
             request.script_root, request.full_path, figures is not None)

    def page(csrf: str, _form_key: str, parts: dict[str, str] | None = None) -> str:
        parts = parts or {}
        return render_template("orders/share.html", group=g.group, rnd=rnd, member=member,
                               bill=parts.get("bill"), states=services.STATE_NAMES,
                               text=parts.get("text", ""), balance=balance,
                               csrf_token=lambda: csrf)

    if figures is None:
        return split_cache.kept_page(rnd, "share", shown, page, bill_of=member.id)
    language = member.user.locale or g.group.language
    currency = g.group.currency
    names = hashlib.sha256(f"{rnd.title}\0{g.group.name}".encode()).hexdigest()[:16]

    def share_text() -> str:
        with force_locale(language):
            return explain.share_text(figures, currency, rnd.title, g.group.name, balance)

    def text() -> str:
        # plain text (escaped where it is shown), kept as the bill is (the
        # currency in the names too: a page that read the group before its
        # currency changed, and the round after, keeps nothing for the pages after it)
        return str(split_cache.fragment(
            rnd, f"share-text:{member.id}:{balance}:{language}:{currency}:{names}",
            share_text, bill_of=member.id))

    # her own bill speaks to her ("you get"); another's view of it (the
    # treasurer's), of her ("she gets"): the name says which
    own = g.membership is not None and g.membership.id == member.id

    def bill() -> Markup:
        return split_cache.fragment(
            rnd, f"share:{member.id}:{currency}:{'own' if own else 'other'}",
            lambda: render_template(
                "orders/_share_bill.html", group=g.group, rnd=rnd, member=member,
                share=explain.member_share(figures, currency, own=own), rows=bill_rows),
            bill_of=member.id)

    return split_cache.kept_page(rnd, "share", shown, page, bill_of=member.id,
                                 parts={"bill": bill, "text": text})


# Her bill's product lines as HTML, each made once per process for the words it
# shows: after an order, every member's bill is made anew, and most of its lines
# read as they did (only the ordered product's group total moved); and members
# who asked the same get the same line. As many as the lines' words are kept
# (coop.orders.explain._LINE_VIEWS).
_BILL_ROWS: split_cache._Recent[Markup] = split_cache._Recent(5_000)


def bill_rows(lines: list[explain.LineView], you_get: str, amount: str) -> Markup:
    """The rows of `lines` (orders/_share_bill_row.html), each as kept for
    its words and the two labels it repeats. With SPLIT_CACHE_CHECK, each
    kept row is compared with one made afresh."""
    row = get_template_attribute("orders/_share_bill_row.html", "row")
    check = current_app.config.get("SPLIT_CACHE_CHECK")
    made = []
    for line in lines:
        key = (str(you_get), str(amount), line.product, line.asked, line.why,
               line.allocated_text, line.amount_text)
        found = _BILL_ROWS.get(key)
        if found is None or check:
            fresh = Markup(row(line, you_get, amount))
            if found is not None and found != fresh:
                raise AssertionError(f"the kept bill row {key} differs from a fresh one: its "
                                     "key misses something the row shows")
            found = fresh
            _BILL_ROWS.put(key, found)
        made.append(found)
    return Markup("").join(made)


def _keyed(form: Any) -> Any:
    form.new_key()
    return form


def _credit_form(rnd: Round, *, sent: bool = True) -> CreditNoteForm:
    """The credit-note form: as sent (its own POST), or empty (`sent=False`:
    on the delivery page, also when it answers the delivery form's POST)."""
    form = CreditNoteForm(currency=g.group.currency, **({} if sent else {"formdata": None}))
    form.product.choices = choices([(item.id, item.product.name) for item in rnd.items])
    return form


def _typed_delivery(rnd: Round, form: DeliveryForm, formdata: Any
                    ) -> tuple[dict, dict, dict, str | None]:
    """A delivery as typed (a POST, or the preview's address after one): the
    lines, the texts, each product's message, and the first refusal."""
    lines, typed, errors = parse_delivery_form(formdata, [i.id for i in rnd.items])
    if errors:
        return lines, typed, errors, _("Some quantities need correcting: see the marked "
                                       "lines. Nothing was saved.")
    if not all(field.validate(form) for field in (form.delivered_on, form.note)):
        return lines, typed, errors, _("Please correct the marked fields. Nothing was saved.")
    if not lines:
        return lines, typed, errors, _("Enter what arrived for at least one product.")
    try:
        services.check_delivery(rnd, lines)
    except DomainError as exc:
        return lines, typed, errors, str(exc.message)
    return lines, typed, errors, None


def _delivery_question(rnd: Round, lines: dict[int, tuple[int, int]]
                       ) -> tuple[str, bool] | None:
    """What to ask before these lines are recorded, if anything: a line just
    like one recorded a moment ago (the form sent again through Back, with a
    new key: deliveries add up), said together with more arriving than was
    ordered, if it would (the service asks that itself, under the round's
    lock, unless this question said it). (The question, whether it said it.)"""
    same = services.recent_delivery(db.session, rnd, lines)
    if same is None:
        return None
    at, item_ids = same
    names = {item.id: item.product for item in rnd.items}
    shown = ", ".join(
        _("%(product)s: %(received)s", product=names[item_id].name,
          received=unit_text.quantity(lines[item_id][0], names[item_id].unit))
        for item_id in item_ids)
    asked = [_("The same delivery (%(lines)s) was recorded at %(time)s. Deliveries add up: "
               "recorded again, it counts twice.", lines=shown, time=when(at))]
    over = services.over_delivery_question(db.session, rnd, lines)
    if over is not None:
        asked.append(str(over))
    return " ".join(asked), over is not None


def _delivery_url(rnd: Round, *, typed: bool = False) -> str:
    """The delivery page; `typed`: the preview of the delivery form just sent,
    at an address of its own that carries what was typed and the form's key
    (never the CSRF token), so that Back and a reload never resend it."""
    if not typed:
        return url_for("orders.delivery", group_id=rnd.group_id, round_id=rnd.id)
    names = ("delivered_on", "note", "idempotency_key")
    fields = {name: value.strip()[:TYPED_LIMIT if name != "note" else 300]
              for name, value in request.form.items()
              if (name.startswith(("received_", "damaged_")) or name in names)
              and value.strip()}
    return url_for("orders.delivery", group_id=rnd.group_id, round_id=rnd.id, preview=1,
                   **fields)


@bp.route("/groups/<int:group_id>/rounds/<int:round_id>/delivery", methods=["GET", "POST"])
@group_view(treasurer=True)
def delivery(group_id: int, round_id: int):  # type: ignore[no-untyped-def]
    """Record what arrived, after a preview of what changes for each member.

    A POST that can go ahead answers with a redirect (post/redirect/get):
    "Preview" to the preview's address (what was typed, its key, what
    changes), a delivery recorded to the plain page. Back then never asks to
    resend a form, and the same form recorded again (its key) is recorded
    once. A POST that cannot (a quantity that is not a number, more damaged
    than received, a date to come, a refusal of the service) is answered
    there and then: this page again, 422, what she typed and its key kept,
    why not said, nothing written."""
    rnd = _round_or_404(round_id)
    if request.method == "POST":
        return _post_delivery(rnd)
    typed: dict = {}
    errors: dict = {}
    changes = None
    error = None
    ordered = None  # the split as ordered, the basis of every comparison: made once
    preview = bool(request.args.get("preview")) and rnd.state == domain.AWARDED
    form = DeliveryForm(formdata=request.args if preview else None)
    key = (form.idempotency_key.data or "").strip() if preview else ""
    if key and services.delivery_by_key(db.session, rnd, key):
        # Back to the preview of what was recorded since: it is in "Arrived so far"
        flash(_("This was recorded already."), "info")
        return redirect(_delivery_url(rnd))
    if not key:
        form.new_key()
    if preview:
        lines, typed, errors, error = _typed_delivery(rnd, form, request.args)
        if error is None:
            try:
                ordered = services.compute_split(db.session, rnd, as_ordered=True)
                changes = services.delivery_changes(
                    ordered, services.compute_split(db.session, rnd, extra_delivery=lines))
            except DomainError as exc:
                error = str(exc.message)
    return _delivery_page(rnd, form, typed=typed, errors=errors, error=error,
                          changes=changes, ordered=ordered)


def _delivery_page(rnd: Round, form: DeliveryForm, *, typed: dict, errors: dict,
                   error: str | None, changes: Any = None,
                   ordered: services.RoundSplit | None = None):  # type: ignore[no-untyped-def]
    """The delivery page: 422 when it says why what was typed is not recorded
    (shown again as typed, with its key), else 200."""
    if not (form.idempotency_key.data or "").strip():
        form.new_key()
    form.confirm_again.data = ""  # a yes to an earlier question is not carried on
    totals = services.delivery_totals(db.session, rnd)
    if ordered is None:
        ordered = services.compute_split(db.session, rnd, as_ordered=True)
    current = services.delivery_changes(
        ordered, services.compute_split(db.session, rnd)) if totals else []
    status = 422 if error else 200
    return render_template(
        "orders/delivery.html", group=g.group, rnd=rnd, form=form, typed=typed, errors=errors,
        error=error, changes=changes, totals=totals, current=current,
        credits=services.credit_totals(db.session, rnd),
        credit_form=_keyed(_credit_form(rnd, sent=False)), ordered=ordered,
        states=services.STATE_NAMES), status


def _post_delivery(rnd: Round):  # type: ignore[no-untyped-def]
    """The delivery form sent: "Preview", or "Record delivery"."""
    form = DeliveryForm()
    if not form.validate_on_submit() and form.csrf_token.errors:
        abort(400)
    record = request.form.get("action") == "record"
    if record:
        try:
            key = ledger.check_key(form.idempotency_key.data)
        except DomainError as exc:  # a form shown before keys: shown again, with one
            form.new_key()
            _lines, texts, errors = parse_delivery_form(request.form, [i.id for i in rnd.items])
            return _delivery_page(rnd, form, typed=texts, errors=errors, error=str(exc.message))
        if services.delivery_by_key(db.session, rnd, key):
            flash(_("This was recorded already."), "info")
            return redirect(_delivery_url(rnd))
    lines, texts, errors, error = _typed_delivery(rnd, form, request.form)
    if error is not None:  # said here and now, next to what she typed: nothing written
        return _delivery_page(rnd, form, typed=texts, errors=errors, error=error)
    if not record:  # the preview, at its own address
        return redirect(_delivery_url(rnd, typed=True))
    typed = [*((name, value) for name, value in request.form.items()
               if name.startswith(("received_", "damaged_"))), ("action", "record")]
    # (a round past its delivery is refused below, not asked about)
    question = None if form.confirmed or rnd.state != domain.AWARDED \
        else _delivery_question(rnd, lines)
    if question is not None:
        text, beyond = question
        return ask_again(form, text, _delivery_url(rnd),
                         extra=[*typed, *([("beyond_ordered", "1")] if beyond else [])])
    try:
        services.record_delivery(db.session, rnd, lines, actor=current_user,
                                 delivered_on=form.delivered_on.data,
                                 note=form.note.data or "", idempotency_key=key,
                                 beyond_ordered=form.confirmed
                                 and request.form.get("beyond_ordered") == "1")
        db.session.commit()
    except AskFirst as exc:  # more than was ordered: recorded once she says so
        db.session.rollback()
        return ask_again(form, str(exc.message), _delivery_url(rnd), anyway=True,
                         extra=[*typed, ("beyond_ordered", "1")])
    except DomainError as exc:  # as typed, read above
        db.session.rollback()
        return _delivery_page(rnd, form, typed=texts, errors=errors, error=str(exc.message))
    except IntegrityError:  # the same form sent twice at the same moment
        db.session.rollback()
        flash(_("This was recorded already."), "info")
        return redirect(_delivery_url(rnd))
    flash(_("The delivery is recorded."), "success")
    return redirect(_delivery_url(rnd))


@bp.post("/groups/<int:group_id>/rounds/<int:round_id>/credit-note")
@group_view(treasurer=True)
def credit_note(group_id: int, round_id: int):  # type: ignore[no-untyped-def]
    rnd = _round_or_404(round_id)
    form = _credit_form(rnd)
    back = url_for("orders.delivery", group_id=group_id, round_id=round_id)
    valid = form.validate_on_submit()
    if valid and services.credit_note_by_key(db.session, rnd, form.idempotency_key.data):
        flash(_("This was recorded already."), "info")
        return redirect(back)
    same = services.recent_credit_note(db.session, rnd, item_id=form.product.data,
                                       amount=form.amount.minor or 0) \
        if valid and not form.confirmed else None
    if same is not None:  # the form sent again through Back, with a new key
        return ask_again(form, _(
            "The same credit note (%(product)s, %(amount)s) was recorded at %(time)s. Record "
            "another?", time=when(same.recorded_at),
            product=next(i.product.name for i in rnd.items if i.id == same.round_item_id),
            amount=fmt_money(same.amount, g.group.currency)), back)
    if valid:
        try:
            with saving(form) as saved:
                services.record_credit_note(
                    db.session, rnd, form.product.data, amount=form.amount.minor or 0,
                    note=form.note.data or "", actor=current_user,
                    idempotency_key=ledger.check_key(form.idempotency_key.data))
        except IntegrityError:  # the same form sent twice at the same moment
            db.session.rollback()
            flash(_("This was recorded already."), "info")
            return redirect(back)
        if saved:
            flash(_("The credit note is recorded: it lowers the loss."), "success")
            return redirect(back)
    errors = error_messages(form)
    return render_template("orders/not_saved.html", group=g.group, rnd=rnd, errors=errors,
                           back=back), 422


def _round_url(rnd: Round, **kwargs: object) -> str:
    return url_for("orders.round_page", group_id=rnd.group_id, round_id=rnd.id, **kwargs)


def _done_by(rnd: Round, state: str) -> tuple[object, str] | None:
    """(when, who) of the move that made the round `state`."""
    return next(((e.at, who) for e, who in services.round_history(db.session, rnd)
                 if e.to_state == state), None)


@bp.route("/groups/<int:group_id>/rounds/<int:round_id>/confirm-delivery",
          methods=["GET", "POST"])
@group_view(treasurer=True)
def confirm_delivery(group_id: int, round_id: int):  # type: ignore[no-untyped-def]
    """Confirm the delivery, after a page that shows in figures what it books:
    with the rest arrived ("everything came") or with what is missing as short."""
    rnd = _round_or_404(round_id)
    way = request.values.get("way", services.MISSING_SHORT)
    if way not in services.CONFIRM_WAYS:
        abort(400)
    if request.method == "POST":
        ActionForm().validate_on_submit() or abort(400)
    if rnd.state in (domain.RECEIVED, domain.SETTLED):
        return _delivery_done(rnd)
    if rnd.state != domain.AWARDED:
        raise DomainError(_("The delivery is confirmed after the award."))
    after = services.confirmed_split(db.session, rnd, way)
    token = figures_token(way, after.result, services.delivery_totals(db.session, rnd))
    changed = False
    if request.method == "POST":
        seen = confirmed(token)
        if seen:
            try:
                services.confirm_delivery(db.session, rnd, current_user, way=way)
            except DomainError:
                db.session.rollback()
                if services.get_round(db.session, g.group, round_id,
                                      with_items=False).state != domain.AWARDED:
                    return _delivery_done(rnd)
                raise
            db.session.commit()
            flash(_("The delivery is confirmed. Check the members' shares, then settle."),
                  "success")
            return redirect(_round_url(rnd), code=303)
        changed = seen is False
    ordered = services.compute_split(db.session, rnd, as_ordered=True)
    confirm = Confirmation(
        action=url_for("orders.confirm_delivery", group_id=group_id, round_id=round_id),
        back=url_for("orders.delivery", group_id=group_id, round_id=round_id),
        button=_("Yes: everything came, confirm the delivery") if way == services.REST_ARRIVED
        else _("Yes: confirm the delivery with what is missing as short"),
        token=token, fields={"way": way})
    return render_template(
        "orders/confirm_delivery.html", group=g.group, rnd=rnd, way=way, confirm=confirm,
        changed=changed, products=_delivery_rows(rnd, ordered, after),
        changes=services.delivery_changes(ordered, after),
        totals=after.outcome.totals,
        credits=sum(services.credit_totals(db.session, rnd).values()),
        states=services.STATE_NAMES), 409 if changed else 200


def _delivery_rows(rnd: Round, ordered: services.RoundSplit, after: services.RoundSplit
                   ) -> list[dict]:
    """Per product: ordered from the supplier, what will count as received
    (and damaged), what is short, as quantity texts in the product's unit."""
    text = ordered.outcome.scenario.quantity_text
    rows = []
    for item, before, then in zip(rnd.items, ordered.outcome.products, after.outcome.products,
                                  strict=True):
        rows.append({"name": item.product.name, "unit": item.product.unit,
                     "ordered": text(before.ordered), "received": text(then.received),
                     "damaged": text(then.damaged),
                     "short": text(max(before.ordered - then.received, 0)),
                     "is_short": then.received < before.ordered})
    return rows


def _delivery_done(rnd: Round):  # type: ignore[no-untyped-def]
    done = _done_by(rnd, domain.RECEIVED)
    if request.method == "POST":
        return already_done(_("The delivery was confirmed already; nothing was done again."),
                            _round_url(rnd))
    return render_template("orders/confirm_done.html", group=g.group, rnd=rnd, done=done,
                           text=_("The delivery is confirmed."), states=services.STATE_NAMES)


@bp.route("/groups/<int:group_id>/rounds/<int:round_id>/settle", methods=["GET", "POST"])
@group_view(treasurer=True)
def settle(group_id: int, round_id: int):  # type: ignore[no-untyped-def]
    """Settle after a page that lists every member's bill as it will be posted."""
    rnd = _round_or_404(round_id)
    if request.method == "POST":
        ActionForm().validate_on_submit() or abort(400)
    if rnd.state == domain.SETTLED:
        return _settle_done(rnd)
    if rnd.state != domain.RECEIVED:
        raise DomainError(_("A round is settled once its delivery is confirmed."))
    split_now = services.compute_split(db.session, rnd)
    token = figures_token(split_now.result)
    changed = False
    if request.method == "POST":
        seen = confirmed(token)
        if seen:
            try:
                services.settle_round(db.session, rnd, current_user)
            except DomainError:
                db.session.rollback()
                if services.get_round(db.session, g.group, round_id,
                                      with_items=False).state == domain.SETTLED:
                    return _settle_done(rnd)
                raise
            db.session.commit()
            flash(_("The round is settled: every member's bill is in her account."), "success")
            return redirect(_round_url(rnd), code=303)
        changed = seen is False
    confirm = Confirmation(
        action=url_for("orders.settle", group_id=group_id, round_id=round_id),
        back=_round_url(rnd), token=token,
        button=_("Yes: settle and post every member's bill"))
    return render_template(
        "orders/confirm_settle.html", group=g.group, rnd=rnd, confirm=confirm, changed=changed,
        bills=_bills(split_now), totals=split_now.outcome.totals,
        credits=sum(services.credit_totals(db.session, rnd).values()),
        states=services.STATE_NAMES), 409 if changed else 200


def _bills(round_split: services.RoundSplit) -> list[dict]:
    """Per member, what settling posts to her account."""
    rows = []
    for member in round_split.outcome.members:
        membership = round_split.members[member.id]
        rows.append({"name": membership.user.name, "goods": member.goods,
                     "losses": member.losses, "shared": sum(member.shared),
                     "levy": member.levy, "rounding": member.rounding, "total": member.total})
    return rows


def _settle_done(rnd: Round):  # type: ignore[no-untyped-def]
    if request.method == "POST":
        return already_done(_("The round was settled already; nothing was posted again."),
                            _round_url(rnd))
    return render_template("orders/confirm_done.html", group=g.group, rnd=rnd,
                           done=_done_by(rnd, domain.SETTLED),
                           text=_("The round is settled."), states=services.STATE_NAMES)
