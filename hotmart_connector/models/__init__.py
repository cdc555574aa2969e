from . import hotmart_backend, hotmart_status_mapping
