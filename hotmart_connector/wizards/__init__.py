from . import hotmart_sale_fetch
from . import hotmart_sale_receive_confirm
