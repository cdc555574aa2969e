from odoo import api, models

from .guard import refuse_unless


class HotmartGuardedMixin(models.AbstractModel):
    """Fields that steer what the connector does as superuser, written by it alone.

    Odoo's field ``groups`` guard reads and writes, not creation nor defaults given through
    the context: this checks all three. A model lists its fields in
    ``_hotmart_guarded_fields`` and widens ``_hotmart_guard_allows`` where a role may set
    them too.
    """

    _name = "hotmart.guarded.mixin"
    _description = "Fields Only the Hotmart Connector Writes"
    _hotmart_guarded_fields = ()

    @api.model_create_multi
    def create(self, vals_list):
        self._hotmart_check_guarded(vals_list)
        return super().create(vals_list)

    def write(self, vals):
        self._hotmart_check_guarded([vals])
        return super().write(vals)

    def _hotmart_guard_allows(self):
        return self.env.su

    def _hotmart_check_guarded(self, vals_list):
        refuse_unless(
            self._hotmart_guard_allows(),
            self,
            vals_list,
            self._hotmart_guarded_fields,
            lambda names: self.env._(
                "Your role may not set %(fields)s on %(model)s: they decide what the Hotmart "
                "connector does as superuser.",
                fields=names,
                model=self._description,
            ),
        )
