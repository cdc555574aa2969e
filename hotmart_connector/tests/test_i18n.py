import polib

from odoo.tests import TransactionCase, tagged
from odoo.tools.misc import file_path
from odoo.tools.translate import TranslationModuleReader

from ..hotmart.exceptions import HotmartBadPayloadError
from ..models.explain import explain


def untranslated_terms(env, module, known_term):
    """The terms of ``module`` its i18n/pt_BR.po does not translate (``known_term`` proves
    the module was read). A field label, a selection value or a view text is translated
    where the catalogue names its place: a label translated for one model does not
    translate the same words on another."""
    rows = list(TranslationModuleReader(env.cr, [module]))
    assert known_term in {row[4] for row in rows}, f"{module}'s terms were not read"
    catalogue = polib.pofile(file_path(f"{module}/i18n/pt_BR.po"))
    translated = {entry.msgid for entry in catalogue if entry.msgstr and not entry.obsolete}
    placed = {
        (entry.msgid, place)
        for entry in catalogue
        if entry.msgstr and not entry.obsolete
        for place, _line in entry.occurrences
    }
    missing = set()
    for _module, kind, name, res_id, source, _value, _comments in rows:
        if source not in translated:
            missing.add(source)
        elif kind in ("model", "model_terms") and (
            (source, f"{kind}:{name}:{res_id}") not in placed
        ):
            missing.add(f"{source} (at {kind}:{name}:{res_id})")
    return sorted(missing)


@tagged("post_install", "-at_install")
class TestTranslations(TransactionCase):
    def test_portuguese_translation_is_complete(self):
        missing = untranslated_terms(self.env, "hotmart_connector", "Hotmart Accounts")
        self.assertFalse(
            missing,
            "i18n/pt_BR.po lacks these terms; export the module's terms and translate them:\n"
            + "\n".join(missing),
        )

    def test_placeholders_survive_translation(self):
        catalogue = polib.pofile(file_path("hotmart_connector/i18n/pt_BR.po"))
        for entry in catalogue:
            for placeholder in ("%(name)s", "%(currency)s", "%s"):
                with self.subTest(msgid=entry.msgid, placeholder=placeholder):
                    self.assertEqual(
                        entry.msgid.count(placeholder), entry.msgstr.count(placeholder)
                    )

    def test_the_app_is_described_in_portuguese(self):
        """Apps shows the app's name and summary in Portuguese too."""
        self.env["res.lang"]._activate_lang("pt_BR")
        module = self.env.ref("base.module_hotmart_connector")
        module._update_translations(["pt_BR"], overwrite=True)
        in_portuguese = module.with_context(lang="pt_BR")
        self.assertEqual(in_portuguese.shortdesc, "Conector Hotmart")
        self.assertIn("pedidos de venda", in_portuguese.summary)
        # Odoo shows index.html to every language: it carries a Portuguese section
        self.assertIn("Em português", module.description_html)
        self.assertIn("Testar Conexão", module.description_html)

    def test_hotmart_errors_read_in_the_users_language(self):
        """The pure-Python layer says why with a reason; people read a translated sentence."""
        self.env["res.lang"]._activate_lang("pt_BR")
        self.env.ref("base.module_hotmart_connector")._update_translations(["pt_BR"])
        error = HotmartBadPayloadError(
            "'yesterday' is not a date.", reason="not_a_date", values={"value": "'yesterday'"}
        )
        self.assertEqual(explain(self.env, error), "'yesterday' is not a date.")
        portuguese = self.env(context=dict(self.env.context, lang="pt_BR"))
        self.assertEqual(explain(portuguese, error), "'yesterday' não é uma data.")
        # an error without a known reason keeps its English message
        self.assertEqual(explain(portuguese, HotmartBadPayloadError("odd")), "odd")
