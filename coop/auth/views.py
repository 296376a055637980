from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import refresh as refresh_locale
from flask_login import current_user, login_required, login_user, logout_user

from coop.api import services as api_tokens
from coop.api.forms import TokenForm
from coop.auth import services
from coop.auth.forms import (
    ChangePasswordForm,
    LanguageForm,
    LoginForm,
    PhoneShownForm,
    SetPasswordForm,
)
from coop.auth.models import User
from coop.errors import DomainError
from coop.extensions import db, limiter, login_manager
from coop.forms import apply_domain_error
from coop.i18n import (
    current_locale,
    forget_language_choice,
    language_choice,
    note_language_choice,
    note_sign_in_tried,
)
from coop.security import forget_links, safe_next
from coop.views import saving

bp = Blueprint("auth", __name__, template_folder="templates")


@login_manager.user_loader
def load_user(session_id: str):  # type: ignore[no-untyped-def]
    from coop.groups.access import load_signed_in

    return load_signed_in(session_id)


ACCOUNT_KEY = "login-account:"


def _login_key() -> str:
    """Sign-ins are counted per account as well as per address: the account
    as the number in E.164 or the e-mail, however it was typed."""
    return ACCOUNT_KEY + services.login_key(request.form.get("login"))


def _login_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


def _login_address_limit() -> str:
    return str(current_app.config["LOGIN_ADDRESS_RATE_LIMIT"])


def _failed(response: Response) -> bool:
    """Only a sign-in that did not get in counts against the address: thirty
    women signing in on the meeting's Wi-Fi share one."""
    return response.status_code != 302


def _forget_failures() -> None:
    """A successful sign-in clears her account's failures (not the address's)."""
    for current in limiter.current_limits:
        if any(str(part).startswith(ACCOUNT_KEY) for part in current.request_args):
            limiter.limiter.clear(current.limit, *current.request_args)


# Per account every attempt is counted as it comes in (so that a hundred at once
# cannot all slip under the limit before any is counted) and a sign-in that
# gets in clears the count: in effect, failures only. Per address only
# failures are counted, after the answer: a success must not clear the
# address's count, which another account's attempts make up.
@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_address_limit, methods=["POST"], deduct_when=_failed)
@limiter.limit(_login_limit, methods=["POST"], key_func=_login_key)
def login():  # type: ignore[no-untyped-def]
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(form.next.data, url_for("groups.home")))
    if form.validate_on_submit():
        try:
            user = services.authenticate(db.session, form.login.data, form.password.data)
        except DomainError as exc:
            apply_domain_error(form, exc)
            note_sign_in_tried(services.login_key(form.login.data))
        else:
            forget_links(session)  # another's links never pass to who signs in next
            login_user(user)
            services.remember_language(db.session, user, language_choice(
                over=user.locale, login=services.login_key(form.login.data)))
            db.session.commit()
            forget_language_choice()  # used up: it passes to nobody after her
            _forget_failures()
            return redirect(safe_next(form.next.data, url_for("groups.home")))
    status = 422 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():  # type: ignore[no-untyped-def]
    forget_links(session)
    forget_language_choice()
    if current_user.locale:  # "signed out" and the sign-in page in hers, as she left it
        session["locale"] = current_user.locale
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():  # type: ignore[no-untyped-def]
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(db.session, current_user, form.current_password.data,
                                     form.new_password.data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            db.session.commit()
            # the nonce changed: sign this session in again (the user, not the proxy)
            login_user(current_user._get_current_object())
            flash(_("Your password is changed."), "success")
            return redirect(url_for("groups.home"))
    status = 422 if request.method == "POST" else 200
    return render_template("auth/change_password.html", form=form), status


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def api_tokens_page():  # type: ignore[no-untyped-def]
    """Her personal API tokens; a new one is shown on this answer only."""
    form = TokenForm()
    new_token = None
    if form.validate_on_submit():
        with saving(form) as saved:
            _token, new_token = api_tokens.create_token(
                db.session, current_user, form.name.data, form.lifetime.data)
        if saved:
            form = TokenForm(formdata=None)
    status = 422 if request.method == "POST" and new_token is None else 200
    response = make_response(render_template(
        "auth/tokens.html", form=form, new_token=new_token,
        tokens=api_tokens.list_tokens(db.session, current_user)), status)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_api_token(token_id: int):  # type: ignore[no-untyped-def]
    try:
        token = api_tokens.revoke_token(db.session, current_user, token_id)
    except DomainError:
        abort(404)
    db.session.commit()
    flash(_("The token “%(name)s” is revoked: it no longer works.", name=token.name), "info")
    return redirect(url_for("auth.api_tokens_page"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():  # type: ignore[no-untyped-def]
    """Her account: password, API tokens, and whether the other members of each
    of her groups see her phone number."""
    from coop.groups import services as groups

    memberships = groups.memberships_of(db.session, current_user)
    form = PhoneShownForm()
    form.shown.choices = [(m.group_id, m.group.name) for m in memberships]
    if request.method == "GET":
        form.shown.data = [m.group_id for m in memberships if m.show_phone]
    if form.validate_on_submit():
        groups.set_phone_shown(db.session, current_user, set(form.shown.data or ()))
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form, memberships=memberships)


@bp.route("/link/<token>", methods=["GET", "POST"])
def redeem_link(token: str):  # type: ignore[no-untyped-def]
    link = services.find_link_token(db.session, token)  # DomainError -> 422 page
    user = db.session.get(User, link.user_id)
    form = SetPasswordForm()
    if request.method == "GET" and user is not None:
        form.email.data, form.phone.data = user.email, user.phone
    if form.validate_on_submit():
        # setting her password through her link is signing in on her own phone:
        # the language this page speaks to her (her browser's, or the one she
        # picked here) becomes her account's when it has none
        shown = None if current_user.is_authenticated else current_locale()
        chosen = language_choice(over=user.locale if user is not None else None)
        with saving(form) as saved:
            user = services.redeem_link_token(db.session, token, form.password.data,
                                              email=form.email.data, phone=form.phone.data)
            services.remember_language(db.session, user, chosen, shown)
        if saved:
            forget_links(session)
            login_user(user)
            forget_language_choice()
            refresh_locale()  # the welcome speaks as the pages after it
            flash(_("Your password is set. Welcome!"), "success")
            return redirect(url_for("groups.home"))
    status = 422 if request.method == "POST" else 200
    return render_template("auth/set_password.html", form=form, user=user,
                           purpose=link.purpose), status


@bp.post("/language")
def set_language():  # type: ignore[no-untyped-def]
    form = LanguageForm()
    if not form.validate_on_submit():
        abort(400)  # a language not offered, or a `next` no page sends
    if current_user.is_authenticated:  # stored on her account: her documents follow it
        current_user.locale = form.locale.data
        db.session.commit()
    else:  # for the sign-in that follows (coop.i18n.select_locale)
        note_language_choice(form.locale.data)
    session["locale"] = form.locale.data
    return redirect(safe_next(form.next.data, url_for("groups.home")))


@login_manager.unauthorized_handler
def unauthorized():  # type: ignore[no-untyped-def]
    flash(_("Please sign in to see this page."), "info")
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
