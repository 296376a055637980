"""A supplier or product reached through a group's URL must be that group's:
anything else is a 404, as for every other thing of another group."""

from __future__ import annotations

from flask import abort

from coop.extensions import db
from coop.groups.models import Group
from coop.suppliers.models import Product, Supplier


def supplier_in_group(group: Group, supplier_id: int) -> Supplier:
    supplier = db.session.get(Supplier, supplier_id)
    if supplier is None or supplier.group_id != group.id:
        abort(404)
    return supplier


def product_of_supplier(supplier: Supplier, product_id: int) -> Product:
    product = db.session.get(Product, product_id)
    if product is None or product.supplier_id != supplier.id or (
            product.group_id != supplier.group_id):
        abort(404)
    return product
