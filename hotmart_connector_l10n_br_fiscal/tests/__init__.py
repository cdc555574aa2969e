from . import test_notas_fiscais
