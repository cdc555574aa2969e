from . import order_mapper
