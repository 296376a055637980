"""Quotes: the treasurer's pages under a round, and the supplier's page behind
her link (/q/<token>: no account, her language, no JavaScript)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote as url_quote

from flask import (
    Blueprint,
    Response,
    abort,
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
from flask_babel import refresh
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from coop.documents import services as documents
from coop.errors import DomainError
from coop.extensions import db
from coop.forms import ActionForm, apply_domain_error, choices, error_messages
from coop.groups.access import group_view
from coop.i18n import input_price, input_qty, local_today, use_group_timezone
from coop.orders import domain as rounds
from coop.orders import services as orders
from coop.orders.models import Round
from coop.quotes import domain, services
from coop.quotes.forms import (
    AwardForm,
    CounterOfferForm,
    DeclineForm,
    LineTyped,
    LinkForm,
    OfferForm,
    RequestQuotesForm,
    parse_award,
    parse_offer_lines,
    parse_targets,
)
from coop.quotes.models import Quote
from coop.security import QUOTE_LINKS
from coop.suppliers.models import Supplier
from coop.views import saving

bp = Blueprint("quotes", __name__, template_folder="templates", static_folder="static",
               static_url_path="/quotes/static")

CHART_BAR = 260  # the longest bar of the chart, in SVG units


def _round_or_404(round_id: int) -> Round:
    rnd = orders.get_round(db.session, g.group, round_id)
    if rnd is None:
        abort(404)
    return rnd


def _quote_or_404(rnd: Round, quote_id: int) -> Quote:
    quote = services.get_quote(db.session, rnd, quote_id)
    if quote is None:
        abort(404)
    return quote


# --------------------------------------------------------------------------
# Treasurer: asking for quotes
# --------------------------------------------------------------------------


def _request_form(rnd: Round, quotes: list[Quote]) -> RequestQuotesForm:
    form = RequestQuotesForm()
    suppliers = db.session.scalars(
        select(Supplier).where(Supplier.group_id == rnd.group_id, Supplier.active.is_(True))
        .order_by(Supplier.name, Supplier.id))
    asked = {q.supplier_id for q in quotes}
    form.suppliers.choices = choices(
        [(s.id, s.name + (" (" + _("asked already: a new link") + ")" if s.id in asked else ""))
         for s in suppliers])
    if request.method == "GET":
        form.new_language.data = rnd.group.language
    return form


def _round_quotes_page(rnd: Round, quotes: list[Quote], form: RequestQuotesForm,  # type: ignore[no-untyped-def]
                       status: int = 200):
    return render_template(
        "quotes/round_quotes.html", group=g.group, rnd=rnd, quotes=quotes, form=form,
        needs=services.round_needs(db.session, rnd), states=orders.STATE_NAMES,
        status_names=services.STATUS_NAMES, link_state=services.link_state,
        quote_status=services.quote_status), status


@bp.get("/groups/<int:group_id>/rounds/<int:round_id>/quotes")
@group_view(treasurer=True)
def round_quotes(group_id: int, round_id: int):  # type: ignore[no-untyped-def]
    rnd = _round_or_404(round_id)
    quotes = services.list_quotes(db.session, rnd)
    return _round_quotes_page(rnd, quotes, _request_form(rnd, quotes))


def _share_links(rnd: Round, links: list[tuple[Quote, str]]) -> list[dict[str, Any]]:
    rows = []
    for quote, raw in links:
        url = url_for("quotes.supplier_quote", token=raw, _external=True)
        text = _("Hello! %(group)s asks for your prices for “%(round)s”: %(link)s",
                 group=rnd.group.name, round=rnd.title, link=url)
        phone = "".join(ch for ch in quote.supplier.phone if ch.isdigit() or ch == "+")
        rows.append({"quote": quote, "url": url, "text": text, "phone": phone,
                     "whatsapp": f"https://wa.me/{phone.lstrip('+')}?text={url_quote(text)}"
                     if phone else None,
                     "sms": f"sms:{phone}?body={url_quote(text)}" if phone else None,
                     "mailto": f"mailto:?subject={url_quote(rnd.title)}&body={url_quote(text)}"})
    return rows


def _keep_links(rnd: Round, links: list[tuple[Quote, str]]) -> Response:
    """The new links go into the treasurer's own session (only their hashes are
    in the database) and her browser is sent to the page that shows them: a
    reload or Back shows the same links again and never makes new ones."""
    kept = dict(session.get(QUOTE_LINKS) or {})
    mine = dict(kept.get(str(rnd.id)) or {})
    mine.update({str(quote.id): raw for quote, raw in links})
    kept = {str(rnd.id): mine}  # the links of one round at a time
    session[QUOTE_LINKS] = kept
    return redirect(url_for("quotes.links_page", group_id=rnd.group_id, round_id=rnd.id), 303)


@bp.get("/groups/<int:group_id>/rounds/<int:round_id>/quotes/links")
@group_view(treasurer=True)
def links_page(group_id: int, round_id: int):  # type: ignore[no-untyped-def]
    """The links made last in this browser, while they still work: showing them
    creates and renews nothing. Not cached anywhere."""
    rnd = _round_or_404(round_id)
    mine = (session.get(QUOTE_LINKS) or {}).get(str(rnd.id)) or {}
    links = []
    for quote in services.list_quotes(db.session, rnd):
        raw = mine.get(str(quote.id))
        if raw and services.link_matches(quote, raw) and \
                services.link_state(quote) == "active":
            links.append((quote, raw))
    response = make_response(render_template(
        "quotes/links.html", group=g.group, rnd=rnd, links=_share_links(rnd, links)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/groups/<int:group_id>/rounds/<int:round_id>/quotes/request")
@group_view(treasurer=True)
def request_quotes(group_id: int, round_id: int):  # type: ignore[no-untyped-def]
    rnd = _round_or_404(round_id)
    form = _request_form(rnd, services.list_quotes(db.session, rnd))
    if form.validate_on_submit():
        try:
            links = services.request_quotes(
                db.session, rnd, current_user, supplier_ids=form.suppliers.data or [],
                new_supplier={"name": form.new_name.data or "",
                              "phone": form.new_phone.data or "",
                              "language": form.new_language.data},
                days=form.days.data)
        except DomainError as exc:
            db.session.rollback()
            field = {"name": "new_name", "phone": "new_phone", "language": "new_language"}.get(
                exc.field or "", exc.field)
            exc.field = field
            apply_domain_error(form, exc)
        else:
            db.session.commit()
            return _keep_links(rnd, links)
    # listed again: a refused request was rolled back
    return _round_quotes_page(rnd, services.list_quotes(db.session, rnd), form, 422)


# --------------------------------------------------------------------------
# Treasurer: one quote, its history, counter-offers and its link
# --------------------------------------------------------------------------


def _quote_page(rnd: Round, quote: Quote, form: CounterOfferForm,
                typed: dict[int, tuple[str, str | None]] | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    return render_template(
        "quotes/quote.html", group=g.group, rnd=rnd, quote=quote, form=form,
        typed=typed or {}, history=services.quote_history(quote),
        items={item.id: item for item in rnd.items}, link_form=LinkForm(),
        action_form=ActionForm(), status=services.quote_status(quote),
        status_names=services.STATUS_NAMES, link_state=services.link_state(quote),
        can_counter=services.can_answer(quote) and quote.latest is not None,
        today=local_today(), is_expired=domain.is_expired), status


@bp.get("/groups/<int:group_id>/rounds/<int:round_id>/quotes/<int:quote_id>")
@group_view(treasurer=True)
def quote_page(group_id: int, round_id: int, quote_id: int):  # type: ignore[no-untyped-def]
    rnd = _round_or_404(round_id)
    return _quote_page(rnd, _quote_or_404(rnd, quote_id), CounterOfferForm())


@bp.post("/groups/<int:group_id>/rounds/<int:round_id>/quotes/<int:quote_id>/counter")
@group_view(treasurer=True)
def counter_offer(group_id: int, round_id: int, quote_id: int):  # type: ignore[no-untyped-def]
    rnd = _round_or_404(round_id)
    quote = _quote_or_404(rnd, quote_id)
    form = CounterOfferForm()
    targets, typed = parse_targets(request.form, [item.id for item in rnd.items])
    if form.validate_on_submit() and not any(error for _t, error in typed.values()):
        try:
            services.send_counter_offer(db.session, quote, current_user,
                                        message=form.message.data or "", targets=targets)
        except DomainError as exc:
            db.session.rollback()
            if exc.field and exc.field.startswith("target_"):
                item_id = int(exc.field.split("_", 1)[1])
                typed[item_id] = (typed[item_id][0], str(exc.message))
            else:
                apply_domain_error(form, exc)
        else:
            db.session.commit()
            flash(_("The counter-offer is sent. %(name)s sees it on her link.",
                    name=quote.supplier.name), "success")
            return redirect(url_for("quotes.quote_page", group_id=group_id, round_id=round_id,
                                    quote_id=quote_id))
    return _quote_page(rnd, quote, form, typed, 422)


@bp.post("/groups/<int:group_id>/rounds/<int:round_id>/quotes/<int:quote_id>/link")
@group_view(treasurer=True)
def new_link(group_id: int, round_id: int, quote_id: int):  # type: ignore[no-untyped-def]
    rnd = _round_or_404(round_id)
    quote = _quote_or_404(rnd, quote_id)
    form = LinkForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
        return _quote_page(rnd, quote, CounterOfferForm(), status=422)
    raw = services.new_link(db.session, quote, form.days.data)
    db.session.commit()
    return _keep_links(rnd, [(quote, raw)])


@bp.post("/groups/<int:group_id>/rounds/<int:round_id>/quotes/<int:quote_id>/revoke")
@group_view(treasurer=True)
def revoke_link(group_id: int, round_id: int, quote_id: int):  # type: ignore[no-untyped-def]
    rnd = _round_or_404(round_id)
    quote = _quote_or_404(rnd, quote_id)
    services.revoke_link(db.session, quote)
    db.session.commit()
    flash(_("The link of %(name)s no longer works.", name=quote.supplier.name), "info")
    return redirect(url_for("quotes.quote_page", group_id=group_id, round_id=round_id,
                            quote_id=quote_id))


# --------------------------------------------------------------------------
# Treasurer: comparison and award
# --------------------------------------------------------------------------


def _chart(result: services.QuoteComparison) -> list[dict[str, Any]]:
    offers = [o for o in result.comparison.offers if not o.declined]
    lengths = domain.bar_lengths([o.landed for o in offers], CHART_BAR)
    bars = []
    for row, (offer, length) in enumerate(zip(offers, lengths, strict=True)):
        kind = "best" if offer.key == result.comparison.best_single else (
            "weak" if not (offer.complete and offer.awardable) else "plain")
        bars.append({"offer": offer, "name": result.quote(offer.key).supplier.name,
                     "length": length, "y": row * 44, "kind": kind})
    return bars


def _rule(value: str | None) -> str:
    return value if value in {c.value for c in AwardForm().rule.choices} else "weight"  # type: ignore[union-attr]


def _compare_page(rnd: Round, award_form: AwardForm, errors: list[str] | None = None,
                  status: int = 200, selected: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    rule = _rule(award_form.rule.data)
    result = services.compare_quotes(db.session, rnd, today=local_today(), fee_rule=rule)
    bars = _chart(result)
    award = result.comparison.award
    if selected is None:  # the form starts from the cheapest award
        selected = {f"item_{item}": str(key)
                    for item, key in (award.cheapest.choice.items()
                                      if award and award.cheapest else ())}
    return render_template(
        "quotes/compare.html", group=g.group, rnd=rnd, result=result, c=result.comparison,
        award=award, items=rnd.items, bars=bars, chart_height=max(len(bars) * 44, 44),
        chart_bar=CHART_BAR, form=award_form, errors=errors or [],
        states=orders.STATE_NAMES, can_award=rnd.state == rounds.QUOTING,
        selected=selected), status


@bp.get("/groups/<int:group_id>/rounds/<int:round_id>/quotes/compare")
@group_view(treasurer=True)
def compare(group_id: int, round_id: int):  # type: ignore[no-untyped-def]
    rnd = _round_or_404(round_id)
    return _compare_page(rnd, AwardForm(formdata=None, rule=_rule(request.args.get("rule"))))


def _chosen(rnd: Round, data: Any) -> tuple[dict[int, int | None], list[str]]:
    """The award the form asks for: everything to one quote (`whole`), or
    product by product (`item_<id>`)."""
    if data.get("list"):  # everything at the catalog's list prices
        return {item.id: None for item in rnd.items}, []
    whole = (data.get("whole") or "").strip()
    if whole:
        if not whole.isdigit():
            return {}, [_("Choose a supplier from the list.")]
        return services.whole_assignments(db.session, rnd, int(whole)), []
    return parse_award(data, [item.id for item in rnd.items])


@bp.get("/groups/<int:group_id>/rounds/<int:round_id>/quotes/award")
@group_view(treasurer=True)
def confirm_award(group_id: int, round_id: int):  # type: ignore[no-untyped-def]
    """What the award chosen on the comparison will do, in figures; nothing
    changes until it is confirmed (a POST)."""
    rnd = _round_or_404(round_id)
    rule = _rule(request.args.get("rule"))
    form = AwardForm(formdata=None, rule=rule)
    selected = {k: v for k, v in request.args.items() if k.startswith("item_")}
    try:
        assignments, errors = _chosen(rnd, request.args)
        if not errors and services.awarded_as(db.session, rnd, assignments):
            return _already_awarded(rnd)  # Back to this page after the award
        if not errors:
            preview = services.preview_award(db.session, rnd, assignments,
                                             today=local_today(), cost_rule=rule)
    except DomainError as exc:
        errors = [str(exc.message)]
    if errors:
        return _award_refused(rnd, form, errors, selected)
    result = services.compare_quotes(db.session, rnd, today=local_today(), fee_rule=rule)
    return render_template(
        "quotes/confirm_award.html", group=g.group, rnd=rnd, preview=preview, form=form,
        award=result.comparison.award, result=result, cur=rnd.group.currency,
        rule_name=next(c.label for c in form.rule.choices  # type: ignore[union-attr]
                       if c.value == rule))


@bp.post("/groups/<int:group_id>/rounds/<int:round_id>/quotes/award")
@group_view(treasurer=True)
def award(group_id: int, round_id: int):  # type: ignore[no-untyped-def]
    rnd = _round_or_404(round_id)
    form = AwardForm()
    if not request.form.get("confirm"):
        # not from the confirmation page: show it first
        args = {k: v for k, v in request.form.items() if k.startswith("item_")
                or k in ("whole", "rule", "list")}
        return redirect(url_for("quotes.confirm_award", group_id=group_id, round_id=round_id,
                                **args), 303)
    errors: list[str] = []
    if form.validate_on_submit():
        try:
            assignments, errors = _chosen(rnd, request.form)
        except DomainError as exc:
            errors = [str(exc.message)]
        if not errors:
            if services.awarded_as(db.session, rnd, assignments):
                return _already_awarded(rnd)
            try:
                awarded = services.award_quotes(db.session, rnd, current_user, assignments,
                                                today=local_today(), cost_rule=form.rule.data)
            except DomainError as exc:
                db.session.rollback()
                if services.awarded_as(db.session, rnd, assignments):
                    return _already_awarded(rnd)  # the same award, sent twice at once
                errors.append(str(exc.message))
            else:
                db.session.commit()
                names = ", ".join(q.supplier.name for q in awarded)
                flash(_("The round is awarded (%(names)s). Prices and packs are fixed now.",
                        names=names or _("list prices")), "success")
                return redirect(url_for("orders.round_page", group_id=group_id,
                                        round_id=round_id))
    else:
        errors += [str(e) for errs in form.errors.values() for e in errs]
    selected = {k: v for k, v in request.form.items() if k.startswith("item_")}
    return _award_refused(rnd, form, errors, selected)


def _award_refused(rnd: Round, form: AwardForm, errors: list[str],
                   selected: dict[str, str]):  # type: ignore[no-untyped-def]
    """The comparison with the reasons (409 once the round has moved on); a
    closed round has no comparison yet: back to its page, with the reasons."""
    if rnd.state == rounds.CLOSED:
        for error in errors:
            flash(error, "error")
        return redirect(url_for("orders.round_page", group_id=rnd.group_id, round_id=rnd.id))
    status = 409 if rnd.state != rounds.QUOTING else 422
    return _compare_page(rnd, form, errors, status, selected or None)


def _already_awarded(rnd: Round) -> Response:
    flash(_("This award was made already; nothing was changed."), "info")
    return redirect(url_for("orders.round_page", group_id=rnd.group_id, round_id=rnd.id))


# --------------------------------------------------------------------------
# The supplier's page
# --------------------------------------------------------------------------


def _open_link(token: str) -> Quote:
    """The quote of this link, in the supplier's language (her own pick on
    this page wins, if she made one)."""
    quote = services.open_quote(db.session, token)
    g.locale_override = session.get("locale") or quote.supplier.language
    refresh()
    use_group_timezone(quote.round.group)
    return quote


def _typed_from_revision(quote: Quote) -> dict[int, LineTyped]:
    """Her latest offer as the form shows it, else the group's expectations."""

    rows = domain.MAX_TIERS
    latest = quote.latest if quote.latest and not quote.latest.declined else None
    lines = {line.round_item_id: line for line in latest.lines} if latest else {}
    typed = {}
    for item in quote.round.items:
        line = lines.get(item.id)
        entry = LineTyped(item.id, pack=input_qty(item.product.pack_size))
        if line is not None:
            entry.available = line.available
            if line.available:
                entry.pack = input_qty(line.pack_size or 0)
                entry.max = input_qty(line.max_quantity) if line.max_quantity is not None else ""
                entry.code = line.article_code or ""
                tiers = [(input_qty(t.min_qty), input_price(t.unit_price)) for t in line.tiers]
                entry.tiers = (tiers + [("", "")] * rows)[:rows]
        elif latest is not None:
            entry.available = False
        typed[item.id] = entry
    return typed


def _supplier_page(quote: Quote, token: str, form: OfferForm, typed: dict[int, LineTyped],
                   decline_form: DeclineForm | None = None, errors: list[str] | None = None,
                   status: int = 200, summary: list[str] | None = None) -> Response:
    rnd = quote.round
    response = make_response(render_template(
        "quotes/supplier.html", quote=quote, rnd=rnd, buyer=rnd.group, form=form,
        decline_form=decline_form or DeclineForm(), typed=typed,
        needs=services.round_needs(db.session, rnd), token=token,
        status=services.quote_status(quote), status_names=services.STATUS_NAMES,
        can_answer=services.can_answer(quote), counter=services.latest_counter(quote),
        history=services.quote_history(quote), items={i.id: i for i in rnd.items},
        order=services.supplier_order(db.session, quote),
        credit_notes=services.supplier_credit_notes(db.session, quote),
        bill=services.supplier_bill(db.session, quote),
        discrepancy_report=bool(quote.awards) and documents.discrepancy_report_ready(
            db.session, rnd, quote.supplier),
        errors=errors or [], summary=summary or []), status)
    # the link is her key: keep the page out of shared caches and search engines
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _offer_form(quote: Quote) -> OfferForm:
    """Her offer form as shown: her latest offer, and a new key."""
    form = OfferForm(formdata=None, currency=quote.round.group.currency)
    latest = quote.latest if quote.latest and not quote.latest.declined else None
    if latest is not None:
        form.delivery_fee.set_minor(latest.delivery_fee)
        form.lead_time_days.data = latest.lead_time_days
        form.valid_until.data = latest.valid_until
        form.note.data = latest.note
    form.new_key()
    return form


@bp.route("/q/<token>", methods=["GET", "POST"])
def supplier_quote(token: str):  # type: ignore[no-untyped-def]
    quote = _open_link(token)
    rnd = quote.round
    if request.method == "GET":
        return _supplier_page(quote, token, _offer_form(quote), _typed_from_revision(quote))
    form = OfferForm(currency=rnd.group.currency)
    lines, typed = parse_offer_lines(request.form, [item.id for item in rnd.items])
    form_ok = form.validate_on_submit()
    offer = domain.OfferInput(lines=lines, delivery_fee=form.delivery_fee.minor or 0,
                              lead_time_days=None if form.lead_time_days.errors
                              else form.lead_time_days.data,
                              valid_until=form.valid_until.data, note=form.note.data or "")
    if form_ok and not any(t.has_errors for t in typed.values()):
        try:
            revision = services.submit_revision(db.session, quote, offer, today=local_today(),
                                                idempotency_key=form.idempotency_key.data)
        except services.OfferAlreadyReceived as exc:
            return _already_received(token, exc)
        except services.OfferError as exc:
            db.session.rollback()
            _place_errors(form, typed, exc.errors)
        except DomainError as exc:
            db.session.rollback()
            if not services.can_answer(quote):
                return _supplier_page(quote, token, form, typed, errors=[str(exc.message)],
                                      status=409)
            apply_domain_error(form, exc)
        except IntegrityError:  # the same offer sent twice at the same moment
            db.session.rollback()
            earlier = services.already_received(db.session, quote, offer,
                                                form.idempotency_key.data)
            if earlier is not None:
                return _already_received(token, services.OfferAlreadyReceived(earlier))
            form.form_errors.append(_("Another offer was sent at the same moment. Look at "
                                      "what was sent and send yours again if needed."))
        else:
            db.session.commit()
            flash(_("Thank you! Your offer is sent to the group (version %(n)d).",
                    n=revision.number), "success")
            return redirect(url_for("quotes.supplier_quote", token=token))
    elif not services.can_answer(quote):
        return _supplier_page(quote, token, form, typed,
                              errors=[_("This purchase no longer takes offers.")], status=409)
    else:
        # Her mistakes in typing are known; the offer's rules are checked on the
        # rest too, so that every mistake shows at once, each at its field.
        _place_errors(form, typed, services.offer_errors(quote, offer, local_today()),
                      keep_first=True)
    # every mistake in a list on top too, in the order of the page
    summary = [f"{item.product.name}: {message}" for item in rnd.items
               for messages in typed[item.id].errors.values() for message in messages]
    summary += error_messages(form)
    errors = [_("Please correct the marked fields. Nothing was sent yet.")]
    return _supplier_page(quote, token, form, typed, errors=errors, status=422,
                          summary=summary)


def _already_received(token: str, exc: services.OfferAlreadyReceived) -> Response:
    db.session.rollback()
    flash(str(exc.message), "info")
    return redirect(url_for("quotes.supplier_quote", token=token))


def _place_errors(form: OfferForm, typed: dict[int, LineTyped],
                  errors: list[tuple[str, Any]], *, keep_first: bool = False) -> None:
    """Each (field, message) at its field: a product's part (`pack_<item>`,
    `tiers_<item>`…) or a field of the form, else on top. With `keep_first`,
    a field that shows a message already (a number that could not be read)
    gets no second one about the same thing."""
    for field, message in errors:
        part, _sep, item = field.partition("_")
        if item.isdigit() and int(item) in typed:
            line = typed[int(item)]
            if not (keep_first and line.errors.get(part)):
                line.add_error(part, message)
        elif field in form:
            if not (keep_first and form[field].errors):
                form[field].errors = [*list(form[field].errors or []), str(message)]
        elif str(message) not in form.form_errors:
            form.form_errors.append(str(message))


@bp.post("/q/<token>/decline")
def supplier_decline(token: str):  # type: ignore[no-untyped-def]
    quote = _open_link(token)
    form = DeclineForm()
    if form.validate_on_submit():
        with saving(form) as saved:
            services.decline_quote(db.session, quote, form.reason.data or "")
        if saved:
            flash(_("Thank you for your answer. The group sees that you decline."), "info")
            return redirect(url_for("quotes.supplier_quote", token=token))
    return _supplier_page(quote, token, _offer_form(quote), _typed_from_revision(quote),
                          decline_form=form,
                          errors=[_("Your answer could not be sent.")], status=422)
