"""Hotmart sale records and the facts about Hotmart statuses."""

# REST `transaction_status` codes, spelled as Hotmart spells them, with a readable label.
SALE_STATUSES = [
    ("APPROVED", "Approved (paid)"),
    ("COMPLETE", "Complete (guarantee over)"),
    ("WAITING_PAYMENT", "Waiting payment"),
    ("PRINTED_BILLET", "Boleto/PIX issued"),
    ("PROCESSING_TRANSACTION", "Processing payment"),
    ("UNDER_ANALISYS", "Under risk analysis"),
    ("PRE_ORDER", "Pre-order"),
    ("STARTED", "Checkout started"),
    ("OVERDUE", "Overdue"),
    ("BLOCKED", "Blocked"),
    ("NO_FUNDS", "Refused: no funds"),
    ("EXPIRED", "Expired unpaid"),
    ("CANCELLED", "Cancelled"),
    ("PROTESTED", "Refund requested (dispute)"),
    ("PARTIALLY_REFUNDED", "Partially refunded"),
    ("REFUNDED", "Refunded"),
    ("CHARGEBACK", "Chargeback"),
]
SALE_STATUS_CODES = [code for code, _label in SALE_STATUSES]
