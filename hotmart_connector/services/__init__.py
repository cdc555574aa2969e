from . import order_mapper
from . import webhook_processor
from . import settlement
from . import run
