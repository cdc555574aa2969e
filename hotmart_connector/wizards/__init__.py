from . import hotmart_sale_fetch
from . import hotmart_sale_receive_confirm
from . import hotmart_sale_refund
from . import hotmart_subscription_request
