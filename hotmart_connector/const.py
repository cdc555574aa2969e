"""Constants of the connector, in one place: Hotmart's statuses as the books and the
status rules see them."""

# Statuses in which Hotmart has the buyer's money: the only ones ever invoiced.
PAID_STATUSES = ("APPROVED", "COMPLETE")
# Statuses that take back an invoiced sale's money: a credit note and the settlement reversed.
REVERSING_STATUSES = ("REFUNDED", "CHARGEBACK")

# How far along its life a sale is. Old news never moves a sale back to an earlier stage
# (docs/architecture.md, "Old news never wins"); statuses of one stage may follow each other.
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
    "COMPLETE": 3,
    "PARTIALLY_REFUNDED": 3,
    "REFUNDED": 4,
    "CHARGEBACK": 4,
    "CANCELLED": 4,
    "EXPIRED": 4,
    "NO_FUNDS": 4,
    "BLOCKED": 4,
}
