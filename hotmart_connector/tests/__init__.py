from . import test_client
from . import test_hotmart_backend
from . import test_i18n
from . import test_receive
from . import test_records
from . import test_sandbox_e2e
from . import test_test_connection
