from . import hotmart_sale_fetch
