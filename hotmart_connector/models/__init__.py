from . import hotmart_backend
from . import hotmart_status_mapping
from . import hotmart_sale
from . import sale_order
from . import res_partner
from . import product_template
from . import hotmart_webhook_event
