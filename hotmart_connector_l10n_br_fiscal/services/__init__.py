from . import order_mapper
from . import settlement
