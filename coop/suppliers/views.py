from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.exceptions import RequestEntityTooLarge

from coop.csv_export import csv_response
from coop.errors import render_error
from coop.extensions import db
from coop.forms import ActionForm
from coop.groups.access import group_view
from coop.i18n import current_locale
from coop.orders.services import STATE_NAMES
from coop.payables import services as payables
from coop.quantities import PRICE_SCALE, QTY_SCALE, WEIGHT_SCALE
from coop.suppliers import domain, services
from coop.suppliers.access import product_of_supplier, supplier_in_group
from coop.suppliers.domain import CatalogError
from coop.suppliers.forms import MAX_UPLOAD_MB, CatalogImportForm, ProductForm, SupplierForm
from coop.views import saving

bp = Blueprint("suppliers", __name__, template_folder="templates")

_UNSAFE_FILENAME = re.compile(r"[\\/:*?\"<>|\x00-\x1f]+")


@bp.context_processor
def catalog_helpers() -> dict[str, Any]:
    """Stored integers as Decimals, for the `number` filter."""
    return {
        "qty_dec": lambda milli: Decimal(milli) / QTY_SCALE,
        "price_dec": lambda micro: None if micro is None else Decimal(micro) / PRICE_SCALE,
        "kg_dec": lambda grams: Decimal(grams) / WEIGHT_SCALE,
    }


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_exc: RequestEntityTooLarge):  # type: ignore[no-untyped-def]
    return render_error(413, _("The file is too large: a catalog file may have at most "
                               "%(mb)d MB.", mb=MAX_UPLOAD_MB))


def _decimal_comma() -> bool:
    return current_locale() != "en"


@bp.get("/groups/<int:group_id>/suppliers")
@group_view(treasurer=True)
def list_suppliers(group_id: int):  # type: ignore[no-untyped-def]
    suppliers = services.list_suppliers(db.session, g.group)
    counts = services.product_counts(db.session, g.group)
    return render_template("suppliers/suppliers.html", group=g.group, suppliers=suppliers,
                           counts=counts)


@bp.route("/groups/<int:group_id>/suppliers/new", methods=["GET", "POST"])
@group_view(treasurer=True)
def add_supplier(group_id: int):  # type: ignore[no-untyped-def]
    form = SupplierForm()
    if request.method == "GET":
        form.language.data = g.group.language
    if form.validate_on_submit():
        with saving(form) as saved:
            supplier = services.create_supplier(
                db.session, g.group, name=form.name.data, contact_person=form.contact_person.data,
                phone=form.phone.data, address=form.address.data, language=form.language.data)
        if saved:
            flash(_("Supplier %(name)s is added. Now add products, or import the catalog.",
                    name=supplier.name), "success")
            return redirect(url_for("suppliers.supplier", group_id=group_id,
                                    supplier_id=supplier.id))
    status = 422 if request.method == "POST" else 200
    return render_template("suppliers/supplier_form.html", group=g.group, form=form,
                           supplier=None), status


@bp.get("/groups/<int:group_id>/suppliers/<int:supplier_id>")
@group_view(treasurer=True)
def supplier(group_id: int, supplier_id: int):  # type: ignore[no-untyped-def]
    found = supplier_in_group(g.group, supplier_id)
    products = services.supplier_products(db.session, found)
    [position] = payables.positions(db.session, g.group, found)
    return render_template("suppliers/supplier.html", group=g.group, supplier=found,
                           products=products, position=position, states=STATE_NAMES)


@bp.route("/groups/<int:group_id>/suppliers/<int:supplier_id>/edit", methods=["GET", "POST"])
@group_view(treasurer=True)
def edit_supplier(group_id: int, supplier_id: int):  # type: ignore[no-untyped-def]
    found = supplier_in_group(g.group, supplier_id)
    form = SupplierForm(obj=found)
    if form.validate_on_submit():
        with saving(form) as saved:
            services.update_supplier(
                db.session, found, name=form.name.data, contact_person=form.contact_person.data,
                phone=form.phone.data, address=form.address.data, language=form.language.data)
        if saved:
            flash(_("Saved."), "success")
            return redirect(url_for("suppliers.supplier", group_id=group_id,
                                    supplier_id=supplier_id))
    status = 422 if request.method == "POST" else 200
    return render_template("suppliers/supplier_form.html", group=g.group, form=form,
                           supplier=found), status


@bp.route("/groups/<int:group_id>/suppliers/<int:supplier_id>/products/new",
          methods=["GET", "POST"])
@group_view(treasurer=True)
def add_product(group_id: int, supplier_id: int):  # type: ignore[no-untyped-def]
    found = supplier_in_group(g.group, supplier_id)
    form = ProductForm()
    if request.method == "GET":
        form.granularity.data = "1"
        form.tiers.data = "0 = "
    if form.validate_on_submit():
        with saving(form) as saved:
            product = services.create_product(db.session, found, form.product)
        if saved:
            flash(_("%(name)s is added to the catalog.", name=product.name), "success")
            return redirect(url_for("suppliers.supplier", group_id=group_id,
                                    supplier_id=supplier_id))
    status = 422 if request.method == "POST" else 200
    return render_template("suppliers/product_form.html", group=g.group, supplier=found,
                           form=form, product=None), status


@bp.route("/groups/<int:group_id>/suppliers/<int:supplier_id>/products/<int:product_id>",
          methods=["GET", "POST"])
@group_view(treasurer=True)
def edit_product(group_id: int, supplier_id: int, product_id: int):  # type: ignore[no-untyped-def]
    found = supplier_in_group(g.group, supplier_id)
    product = product_of_supplier(found, product_id)
    form = ProductForm()
    if request.method == "GET":
        form.fill(services.product_data(product), decimal_comma=_decimal_comma())
    if form.validate_on_submit():
        with saving(form) as saved:
            services.update_product(db.session, product, form.product)
        if saved:
            flash(_("Saved."), "success")
            return redirect(url_for("suppliers.supplier", group_id=group_id,
                                    supplier_id=supplier_id))
    status = 422 if request.method == "POST" else 200
    return render_template("suppliers/product_form.html", group=g.group, supplier=found,
                           form=form, product=product, action_form=ActionForm()), status


@bp.post("/groups/<int:group_id>/suppliers/<int:supplier_id>/products/<int:product_id>"
         "/<any(retire,reinstate):action>")
@group_view(treasurer=True)
def product_status(group_id: int, supplier_id: int, product_id: int,  # type: ignore[no-untyped-def]
                   action: str):
    product = product_of_supplier(supplier_in_group(g.group, supplier_id), product_id)
    if action == "retire":
        services.retire_product(db.session, product)
        flash(_("%(name)s is retired: no longer offered in new rounds. It is kept, with its "
                "history.", name=product.name), "info")
    else:
        services.reinstate_product(db.session, product)
        flash(_("%(name)s is on offer again.", name=product.name), "info")
    db.session.commit()
    return redirect(url_for("suppliers.supplier", group_id=group_id, supplier_id=supplier_id))


@bp.route("/groups/<int:group_id>/suppliers/<int:supplier_id>/import", methods=["GET", "POST"])
@group_view(treasurer=True)
def import_catalog(group_id: int, supplier_id: int):  # type: ignore[no-untyped-def]
    found = supplier_in_group(g.group, supplier_id)
    form = CatalogImportForm()
    errors: list[str] = []
    if form.validate_on_submit():
        try:
            result = services.import_catalog(db.session, found, form.file.data.read())
        except CatalogError as exc:
            db.session.rollback()
            errors = list(domain.iter_errors_text(exc.errors))
        else:
            db.session.commit()
            flash(_import_summary(result), "success")
            return redirect(url_for("suppliers.supplier", group_id=group_id,
                                    supplier_id=supplier_id))
    status = 422 if request.method == "POST" else 200
    return render_template("suppliers/import.html", group=g.group, supplier=found, form=form,
                           errors=errors, columns=domain.COLUMNS,
                           max_mb=MAX_UPLOAD_MB), status


def _import_summary(result: services.ImportResult) -> str:
    text = _("Catalog imported: %(added)d added, %(updated)d updated, %(unchanged)d "
             "unchanged.", added=result.added, updated=result.updated,
             unchanged=result.unchanged)
    if result.retired:
        text += " " + ngettext(
            "%(num)d of them is retired: open it to offer it again.",
            "%(num)d of them are retired: open them to offer them again.", result.retired)
    return text


@bp.get("/groups/<int:group_id>/suppliers/<int:supplier_id>/export.csv")
@group_view(treasurer=True)
def export_catalog(group_id: int, supplier_id: int):  # type: ignore[no-untyped-def]
    found = supplier_in_group(g.group, supplier_id)
    data = services.export_catalog(db.session, found, g.group.language)
    name = _UNSAFE_FILENAME.sub(" ", found.name).strip() or f"supplier-{found.id}"
    return csv_response(data, f"{name} - catalog.csv")
