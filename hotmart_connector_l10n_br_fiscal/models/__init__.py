from . import hotmart_backend
from . import hotmart_sale
from . import l10n_br_fiscal_document
from . import product_template
from . import res_partner
from . import sale_order_line
