"""What a stored Hotmart sale keeps of what Hotmart said, as columns: the buyer and the
purchase. Read once, when the sale is stored; an order is made from these columns, never from
the raw payload, which may be blanked at any time (LGPD)."""

# The buyer as Hotmart described them: {column: (path in HotmartBuyer)}.
BUYER_COLUMNS = {
    "buyer_name": ("name",),
    "buyer_email": ("email",),
    "buyer_ucode": ("ucode",),
    "buyer_document_type": ("document_type",),
    "buyer_document": ("document",),
    "buyer_phone": ("phone",),
    "buyer_street": ("address", "street"),
    "buyer_street_number": ("address", "number"),
    "buyer_street_complement": ("address", "complement"),
    "buyer_district": ("address", "district"),
    "buyer_city": ("address", "city"),
    "buyer_state_code": ("address", "state"),
    "buyer_country": ("address", "country"),
    "buyer_country_code": ("address", "country_code"),
    "buyer_zip": ("address", "zip"),
}
# What the purchase says beyond its amount and buyer, stored like the buyer: {column:
# attribute of hotmart.records.HotmartSale}; an empty value never blanks what the
# other source said (the history knows whose sale it is, a webhook who invoices).
PURCHASE_COLUMNS = {
    "commission_as": "commission_as",
    "payment_mode": "payment_mode",
    "invoice_by": "invoice_by",
    "business_model": "business_model",
    "tracking_src": "tracking_src",
    "tracking_sck": "tracking_sck",
    "tracking_xcod": "tracking_xcod",
    "offer_code": "offer_code",
    "coupon_code": "coupon_code",
    "affiliate_code": "affiliate_code",
    "affiliate_name": "affiliate_name",
    "parent_transaction": "parent_transaction",
}


def purchase_values(record):
    """The purchase columns ``record`` fills (a hotmart.records.HotmartSale)."""
    values = {
        column: getattr(record, attribute)
        for column, attribute in PURCHASE_COLUMNS.items()
        if getattr(record, attribute)
    }
    if record.full_price is not None:
        values["full_price"] = float(record.full_price)
    if record.is_order_bump:
        values["is_order_bump"] = True
    return values


def _buyer_values(buyer):
    """The buyer columns ``buyer`` fills; empty ones are left out (a history item knows
    only the name, e-mail and ucode: never blank what /sales/users gave)."""
    values = {}
    for column, path in BUYER_COLUMNS.items():
        value = buyer
        for name in path:
            value = getattr(value, name)
        if value:
            values[column] = value
    return values


def without_worse_phone(values, stored_phone):
    """``values`` without a buyer phone that would replace one read with its country
    (E.164) by one read without (a /sales/users number after a webhook's)."""
    phone = values.get("buyer_phone")
    if phone and not phone.startswith("+") and (stored_phone or "").startswith("+"):
        return {column: value for column, value in values.items() if column != "buyer_phone"}
    return values
