from . import test_client
from . import test_hotmart_backend
from . import test_i18n
from . import test_records
