"""Constants of the connector, in one place: Hotmart's statuses as the books and the
status rules see them."""

# Statuses in which Hotmart has the buyer's money: the only ones ever invoiced.
PAID_STATUSES = ("APPROVED", "COMPLETE")
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
