from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired, FileSize
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from coop.forms import Form, fill_unit, unit_choices, unit_typed
from coop.groups.forms import language_choices
from coop.suppliers import domain
from coop.suppliers.domain import ProductData

MAX_UPLOAD_MB = 5
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024 * 1024

_DECIMAL = {"inputmode": "decimal", "autocomplete": "off"}


class SupplierForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=160)])
    contact_person = StringField(_l("Contact person"), validators=[Optional(), Length(max=120)])
    phone = StringField(_l("Phone number"), validators=[Optional(), Length(max=40)],
                        render_kw={"inputmode": "tel"})
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    language = SelectField(_l("Language for documents and the quote link"),
                           choices=language_choices())


def _container_choices() -> list[tuple[str, str]]:
    from coop import unit_text

    return unit_text.container_choices()


class ProductForm(Form):
    """The fields are named as the catalog CSV columns; the catalog rules
    (coop.suppliers.domain) read them, so a form and a CSV line are checked alike.
    After a successful validate(), `product` holds the ProductData."""

    name = StringField(_l("Product name"))
    unit = SelectField(_l("Unit"), choices=unit_choices, validate_choice=False)
    unit_other = StringField(_l("Other unit"), validators=[Length(max=domain.MAX_UNIT)])
    article_code = StringField(_l("Supplier's article code"))
    pack_size = StringField(_l("Pack size (the supplier sells whole packs)"),
                            render_kw=_DECIMAL)
    pack_container = SelectField(_l("Packed in"), choices=_container_choices,
                                 validate_choice=False)
    granularity = StringField(_l("Step (the smallest quantity a member can get)"),
                              render_kw=_DECIMAL)
    weight_kg = StringField(_l("Weight of one unit, kg"), render_kw=_DECIMAL)
    retail_price = StringField(_l("Retail price of one unit at the bazaar"),
                               render_kw=_DECIMAL)
    tiers = TextAreaField(_l("List prices"), render_kw={"rows": 5, "autocomplete": "off"})
    seed_rate = StringField(_l("Seed rate: how much to sow one sotka (100 m²)"),
                            render_kw=_DECIMAL)

    product: ProductData | None = None

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        self.product = None
        values = {name: getattr(self, name).data for name in domain.COLUMNS}
        values["unit"] = unit_typed(self)
        product, errors = domain.product_from_text(values)
        for name, message in errors:
            getattr(self, name).errors.append(str(message))
        if valid and not errors:
            self.product = product
            return True
        return False

    def fill(self, product: ProductData, decimal_comma: bool) -> None:
        """Show a stored product, tiers one per line as "0 = 48,5"."""
        text = domain.product_to_text(product, decimal_comma=decimal_comma,
                                      tier_separator="\n", tier_equals=" = ")
        for name in domain.COLUMNS:
            getattr(self, name).data = text[name]
        fill_unit(self, product.unit)


class CatalogImportForm(Form):
    file = FileField(_l("Catalog file (CSV or Excel .xlsx)"), validators=[
        FileRequired(_l("Choose the CSV file to import.")),
        FileAllowed(["csv", "txt", "tsv", "xlsx"],
                    _l("Upload a CSV file or an Excel workbook (.xlsx): in your spreadsheet "
                       "choose “Save as” and the type “CSV” or “Excel workbook”.")),
        FileSize(max_size=MAX_UPLOAD_BYTES,
                 message=_l("The file is larger than %(mb)d MB. Split the catalog into "
                            "smaller files and import them one after the other.",
                            mb=MAX_UPLOAD_MB)),
    ])
