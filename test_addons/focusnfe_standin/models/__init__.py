from . import focusnfe_nfse
from . import document
