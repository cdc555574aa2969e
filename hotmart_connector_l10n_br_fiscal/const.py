"""The bridge's constants: what a Hotmart sale's nota fiscal can be, and how OCA's document
states read on the sale."""

from odoo.addons.l10n_br_fiscal.constants.fiscal import (
    NFE_IND_IE_DEST_1,
    NFE_IND_IE_DEST_9,
    PROCESSADOR_OCA,
    SITUACAO_EDOC_A_ENVIAR,
    SITUACAO_EDOC_AUTORIZADA,
    SITUACAO_EDOC_CANCELADA,
    SITUACAO_EDOC_DENEGADA,
    SITUACAO_EDOC_EM_DIGITACAO,
    SITUACAO_EDOC_ENVIADA,
    SITUACAO_EDOC_REJEITADA,
)

NF_POLICIES = [
    ("none", "Do not issue"),
    ("auto", "Issue when the invoice is posted"),
]

NF_STATES = [
    ("no", "No Note"),
    ("to_send", "To Send"),
    ("sent", "Sent"),
    ("authorized", "Authorized"),
    ("cancelled", "Cancelled"),
    ("failed", "Failed"),
]

# OCA's electronic document state (state_edoc) as the sale's note state
NF_STATE_OF_EDOC = {
    SITUACAO_EDOC_EM_DIGITACAO: "to_send",
    SITUACAO_EDOC_A_ENVIAR: "to_send",
    SITUACAO_EDOC_ENVIADA: "sent",
    SITUACAO_EDOC_AUTORIZADA: "authorized",
    SITUACAO_EDOC_CANCELADA: "cancelled",
    SITUACAO_EDOC_REJEITADA: "failed",
    SITUACAO_EDOC_DENEGADA: "failed",
}

# The ICMS indicator of a new buyer: a state registration (IE) makes a contributor.
ICMS_CONTRIBUTOR = NFE_IND_IE_DEST_1
ICMS_NON_CONTRIBUTOR = NFE_IND_IE_DEST_9

# The electronic documents processor that sends notes (OCA's own; "nenhum" would mark them
# authorized unsent)
NF_PROCESSOR = PROCESSADOR_OCA

# SPED's product type of a service (OCA's product fiscal type)
SERVICE_FISCAL_TYPE = "09"
SERVICE_TAX_DOMAIN = "issqn"

# What the municipality reads when a refunded sale's note is cancelled: always Portuguese.
CANCEL_JUSTIFICATION = "Venda reembolsada na Hotmart, transação {transaction}"

# Notes sent or cancelled per scheduled run; the run is triggered again while work waits.
NF_BATCH = 50
