from . import test_hotmart_backend
from . import test_i18n
