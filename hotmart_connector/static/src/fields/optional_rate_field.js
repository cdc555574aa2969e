/** @odoo-module **/

import { registry } from "@web/core/registry";
import { FloatField, floatField } from "@web/views/fields/float/float_field";

// A rate that may be left unset: 0 means "use Odoo's currency rates", so it shows empty
// (with the field's placeholder) instead of 0.000000.
export class OptionalRateField extends FloatField {
    get formattedValue() {
        return this.value ? super.formattedValue : "";
    }
}

registry.category("fields").add("hotmart_optional_rate", {
    ...floatField,
    component: OptionalRateField,
    isEmpty: (record, fieldName) => !record.data[fieldName],
});
