"""Constants of the connector, in one place: Hotmart's statuses as the books and the
status rules see them."""

# Statuses in which Hotmart has the buyer's money: the only ones ever invoiced.
PAID_STATUSES = ("APPROVED", "COMPLETE")
# Statuses in which the buyer paid, whatever happened next (a dispute, a partial refund).
BUYER_PAID_STATUSES = ("APPROVED", "COMPLETE", "PROTESTED", "PARTIALLY_REFUNDED")
# Statuses that take back an invoiced sale's money: a credit note and the settlement reversed.
REVERSING_STATUSES = ("REFUNDED", "CHARGEBACK")

# How far along its life a sale is. Old news never moves a sale back to an earlier stage,
# and Hotmart's sales history moves a status a webhook said only to a later stage
# (docs/architecture.md, "Old news never wins"). A dispute, the guarantee's end and a partial
# refund may follow each other: one stage.
STATUS_STAGES = {
    "STARTED": 0,
    "WAITING_PAYMENT": 0,
    "PRINTED_BILLET": 0,
    "PROCESSING_TRANSACTION": 0,
    "UNDER_ANALISYS": 0,
    "PRE_ORDER": 0,
    "OVERDUE": 0,
    "APPROVED": 1,
    "PROTESTED": 2,
    "COMPLETE": 2,
    "PARTIALLY_REFUNDED": 2,
    "REFUNDED": 3,
    "CHARGEBACK": 3,
    "CANCELLED": 3,
    "EXPIRED": 3,
    "NO_FUNDS": 3,
    "BLOCKED": 3,
}

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
# The statuses as a sale lives them, the order reports show them in: checkout and payment,
# paid, what may follow a payment, then the ways a sale ends unpaid.
STATUS_LIFECYCLE = (
    "STARTED",
    "PRE_ORDER",
    "WAITING_PAYMENT",
    "PRINTED_BILLET",
    "PROCESSING_TRANSACTION",
    "UNDER_ANALISYS",
    "APPROVED",
    "COMPLETE",
    "PROTESTED",
    "PARTIALLY_REFUNDED",
    "REFUNDED",
    "CHARGEBACK",
    "OVERDUE",
    "EXPIRED",
    "NO_FUNDS",
    "BLOCKED",
    "CANCELLED",
)


# Hotmart's webhook events, with a readable label.
WEBHOOK_EVENTS = [
    ("PURCHASE_APPROVED", "Purchase approved"),
    ("PURCHASE_COMPLETE", "Purchase complete (guarantee over)"),
    ("PURCHASE_CANCELED", "Purchase cancelled"),
    ("PURCHASE_REFUNDED", "Purchase refunded"),
    ("PURCHASE_CHARGEBACK", "Chargeback"),
    ("PURCHASE_PROTEST", "Refund requested"),
    ("PURCHASE_BILLET_PRINTED", "Boleto/PIX issued"),
    ("PURCHASE_EXPIRED", "Purchase expired unpaid"),
    ("PURCHASE_DELAYED", "Payment overdue"),
    ("PURCHASE_OUT_OF_SHOPPING_CART", "Abandoned cart"),
    ("SUBSCRIPTION_CANCELLATION", "Subscription cancelled"),
    ("SWITCH_PLAN", "Plan switched"),
    ("UPDATE_SUBSCRIPTION_CHARGE_DATE", "Charge date changed"),
    ("CLUB_FIRST_ACCESS", "Club: first access"),
    ("CLUB_MODULE_COMPLETED", "Club: module completed"),
]


# `payment.type` values, with a readable label.
PAYMENT_TYPES = [
    ("CREDIT_CARD", "Credit card"),
    ("PIX", "PIX"),
    ("BILLET", "Boleto"),
    ("PAYPAL", "PayPal"),
    ("PAYPAL_INTERNACIONAL", "PayPal (international)"),
    ("PICPAY", "PicPay"),
    ("GOOGLE_PAY", "Google Pay"),
    ("SAMSUNG_PAY", "Samsung Pay"),
    ("WALLET", "Hotmart wallet"),
    ("HOTCARD", "Hotcard"),
    ("HYBRID", "Two payment methods"),
    ("DIRECT_DEBIT", "Direct debit"),
    ("DIRECT_BANK_TRANSFER", "Bank transfer"),
    ("MANUAL_TRANSFER", "Manual transfer"),
    ("CASH_PAYMENT", "Cash"),
    ("FINANCED_BILLET", "Financed boleto"),
    ("FINANCED_INSTALLMENT", "Financed installments"),
    ("ECHECK", "eCheck"),
]

# The offer's `payment_mode`, with a readable label; an unknown one is shown as Hotmart
# spells it.
PAYMENT_MODES = [
    ("UNIQUE_PAYMENT", "Single payment"),
    ("SMART_INSTALLMENT", "Smart installments (charged one by one)"),
]

# hotmart status -> (order state, import new orders, leave an activity for a person)
# The account's part in a sale (the history's commission_as): only its own sales are
# received at their price.
COMMISSION_ROLES = [
    ("PRODUCER", "Producer"),
    ("COPRODUCER", "Co-producer"),
    ("AFFILIATE", "Affiliate"),
]
OWN_SALE_ROLE = "PRODUCER"
# The service an account orders from Hotmart for its commission, by its part in the sale.
COMMISSION_PRODUCTS = {
    "COPRODUCER": "hotmart_connector.product_coproduction_commission",
    "AFFILIATE": "hotmart_connector.product_affiliate_commission",
}

# The service of the line that takes an order's total to the cent the buyer paid.
ROUNDING_PRODUCT = "hotmart_connector.product_rounding_adjustment"

# Who issues the buyer's invoice (nota fiscal) of a sale.
INVOICE_ISSUERS = [
    ("HOTMART", "Hotmart"),
    ("SELLER", "Producer"),
]

DEFAULT_STATUS_MAPPING = {
    "APPROVED": ("sale", True, False),
    "COMPLETE": ("done", True, False),
    "WAITING_PAYMENT": ("draft", False, False),
    "PRINTED_BILLET": ("draft", False, False),
    "PROCESSING_TRANSACTION": ("draft", False, False),
    "UNDER_ANALISYS": ("draft", False, False),
    "PRE_ORDER": ("draft", False, False),
    "STARTED": ("draft", False, False),
    "OVERDUE": ("draft", False, False),
    "CANCELLED": ("cancel", False, False),
    "BLOCKED": ("cancel", False, False),
    "NO_FUNDS": ("cancel", False, False),
    "EXPIRED": ("cancel", False, False),
    "REFUNDED": ("cancel", False, False),
    "CHARGEBACK": ("cancel", False, False),
    "PROTESTED": ("sale", True, True),
    "PARTIALLY_REFUNDED": ("sale", True, True),
}

# ---------------------------------------------------------------- acting on Hotmart

# Statuses Hotmart refunds: the buyer paid, whether the guarantee ran out or not.
REFUNDABLE_STATUSES = PAID_STATUSES
# A request Hotmart answered or left unanswered stays pending (nothing is sent again) until
# Hotmart reports its result, or until this long has passed without a sign of it.
REQUEST_LAPSE_HOURS = {
    "accepted": 48,  # Hotmart accepted: its webhook or the status sync tells the result
    "unanswered": 1,  # no answer: it may have been done; the next sync tells
    "reactivate": 72,  # the subscriber accepts by a link Hotmart e-mails, valid 3 days
    "subscription_unanswered": 25,  # the subscriptions sync, which tells, runs daily
}
# Subscriptions Hotmart reactivates (the subscriber accepts by e-mail).
REACTIVABLE_STATUSES = (
    "INACTIVE",
    "CANCELLED_BY_CUSTOMER",
    "CANCELLED_BY_SELLER",
    "CANCELLED_BY_ADMIN",
)
# Subscriptions whose charge day Hotmart moves (not in a trial).
CHARGE_DAY_STATUSES = ("ACTIVE", "DELAYED")
SUBSCRIPTION_BATCH = 50  # subscriber codes per batch call
# What a person can ask of a subscription on Hotmart.
SUBSCRIPTION_REQUESTS = [
    ("cancel", "Cancellation"),
    ("reactivate", "Reactivation"),
    ("charge_day", "Charge day change"),
]

# ---------------------------------------------------------------- reconciliation

# The time zone of the days Hotmart's panel and reports count sales in (Brasília time).
HOTMART_TZ = "America/Sao_Paulo"
# What /sales/summary counts when asked without a status.
SUMMARY_STATUSES = PAID_STATUSES
