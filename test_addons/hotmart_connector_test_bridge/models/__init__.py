from . import sale_order
from . import hotmart_order_mapper
