from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from .bulk import create_isolated

# One product per Hotmart product and company (or shared): two runs creating the same new
# product at once collide here, and the one that loses is retried.
HOTMART_PRODUCT_INDEX = "product_template_hotmart_product_uniq"


class ProductTemplate(models.Model):
    _name = "product.template"
    _inherit = ["product.template", "hotmart.guarded.mixin"]
    # which product a Hotmart product's sales use
    _hotmart_guarded_fields = ("hotmart_product_id",)

    hotmart_product_id = fields.Char(
        string="Hotmart Product ID",
        copy=False,
        index="btree_not_null",
        help="Hotmart's numeric product id: sales of this Hotmart product use this product.",
    )

    def _hotmart_guard_allows(self):
        user = self.env.user
        return (
            super()._hotmart_guard_allows()
            or user.has_group("hotmart_connector.group_hotmart_manager")
            or user.has_group("base.group_system")
        )

    def init(self):
        res = super().init()
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS %s ON %s "
                "(hotmart_product_id, COALESCE(company_id, 0)) "
                "WHERE hotmart_product_id IS NOT NULL",
                SQL.identifier(HOTMART_PRODUCT_INDEX),
                SQL.identifier(self._table),
            )
        )
        return res

    @api.constrains("hotmart_product_id", "company_id")
    def _check_hotmart_product_id(self):
        bound = self.filtered("hotmart_product_id")
        if not bound:
            return
        others = self.with_context(active_test=False).search(
            [
                ("hotmart_product_id", "in", bound.mapped("hotmart_product_id")),
                ("id", "not in", bound.ids),
            ]
        )
        for template in bound:
            same = others.filtered(
                lambda other, t=template: (
                    other.hotmart_product_id == t.hotmart_product_id
                    and other.company_id == t.company_id
                )
            )
            if same:
                raise ValidationError(
                    self.env._(
                        "Hotmart product %(id)s is already the product %(product)s: sales of a "
                        "Hotmart product go to one product. Clear the Hotmart Product ID of one "
                        "of them.",
                        id=template.hotmart_product_id,
                        product=same[0].display_name,
                    )
                )

    @api.model
    def _hotmart_find_or_create(self, backend, records):
        """{hotmart product id: product.product} for these sales, and {id: reason} failures.

        Matched by ``hotmart_product_id``; otherwise the account's fallback product, or a new
        service product named after the Hotmart product.
        """
        names = {}
        for record in records:
            names.setdefault(record.product_id, record.product_name)
        products, errors = {}, {}
        if "" in names:
            names.pop("")
            if backend.product_id:
                products[""] = backend.product_id
            else:
                errors[""] = self.env._(
                    "The sale names no Hotmart product. Set a fallback product on the account "
                    "(Orders and Fiscal tab), then receive it again."
                )
        found = self._hotmart_search(backend, list(names))
        products.update({pid: template.product_variant_id for pid, template in found.items()})
        missing = [pid for pid in names if pid not in found]
        if missing and backend.product_id:
            products.update(dict.fromkeys(missing, backend.product_id))
        elif missing:
            created, create_errors = self._hotmart_create(
                backend, {pid: names[pid] or pid for pid in missing}
            )
            products.update({pid: t.product_variant_id for pid, t in created.items()})
            errors.update(create_errors)
        return products, errors

    @api.model
    def _hotmart_search(self, backend, hotmart_ids):
        if not hotmart_ids:
            return {}
        templates = self.with_context(active_test=False).search(
            [
                ("hotmart_product_id", "in", hotmart_ids),
                ("company_id", "in", [False, backend.company_id.id]),
            ],
            order="active desc, id",
        )
        found = {}
        for template in templates:
            found.setdefault(template.hotmart_product_id, template)
        return found

    @api.model
    def _hotmart_product_values(self, backend, hotmart_id, name):
        """A new Hotmart product of ``backend``. Hook: the fiscal bridge makes it a service
        of the account's service code."""
        return {
            "name": name,
            "hotmart_product_id": hotmart_id,
            "type": "service",
            "sale_ok": True,
            "purchase_ok": False,
            "invoice_policy": "order",
            "list_price": 0.0,
        }

    @api.model
    def _hotmart_create(self, backend, names):
        """Create service products of ``backend`` for {hotmart id: name}; ({id: template},
        {id: reason})."""
        ids = list(names)
        return create_isolated(
            self.with_context(tracking_disable=True),
            ids,
            [self._hotmart_product_values(backend, pid, names[pid]) for pid in ids],
            lambda values, reason: self.env._(
                "Odoo refused the product %(name)s: %(reason)s", name=values["name"], reason=reason
            ),
            race_indexes=(HOTMART_PRODUCT_INDEX,),
        )
