"""The Focus NFe stand-in over real HTTP, as OCA's l10n_br_nfse_focus calls it: the token as
the user of basic auth, the JSON body as a string. Plain Python, no Odoo:

    python3 -m pytest standin/tests -p no:odoo -q
"""

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import requests

STANDIN = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(STANDIN))

from focusnfe_standin import BANNER, FocusNfeStandIn  # noqa: E402 (the module under test)

TOKEN = ("homologation-token", "")
HEADER = ("X-FocusNFe-Stand-In", "development stand-in")
JUSTIFICATION = "Venda reembolsada ao comprador pela Hotmart"


def municipal_payload(name="Maria da Silva", amount=197.0):
    """The shape of the body OCA's focusnfe.nfse sends (its _prepare_payload), trimmed."""
    return {
        "prestador": {
            "cnpj": "11222333000181",
            "inscricao_municipal": "123456",
            "codigo_municipio": "3550308",
        },
        "servico": {
            "aliquota": 2.0,
            "discriminacao": "Curso online: Python para dados",
            "iss_retido": "2",
            "item_lista_servico": "0802",
            "valor_iss": 3.94,
            "valor_servicos": amount,
            "valor_liquido": amount,
        },
        "tomador": {
            "cpf": "52998224725",
            "razao_social": name,
            "email": "maria@example.com",
            "endereco": {"cep": "01310100", "codigo_municipio": "3550308", "uf": "SP"},
        },
        "razao_social": "Escola Exemplo Ltda",
        "data_emissao": "2025-03-10T10:00:00",
        "natureza_operacao": "1",
    }


def national_payload(name="João Pereira", amount=49.9):
    """The shape of the flat body OCA's focusnfe.nfse.nacional sends, trimmed."""
    return {
        "data_emissao": "2025-03-10T10:00:00-0300",
        "data_competencia": "2025-03-10",
        "codigo_municipio_emissora": 3550308,
        "cnpj_prestador": "11222333000181",
        "cpf_tomador": "52998224725",
        "razao_social_tomador": name,
        "descricao_servico": "Assinatura mensal",
        "valor_servico": amount,
        "tributacao_iss": 1,
    }


@pytest.fixture
def standin():
    server = FocusNfeStandIn().start()
    yield server
    server.stop()


def call(method, url, auth=TOKEN, body=None, params=None):
    """One request the way OCA's _make_focus_nfse_http_request makes it."""
    data = json.dumps(body) if body is not None else None
    response = requests.request(method, url, data=data, params=params, auth=auth, timeout=10)
    assert response.headers.get(HEADER[0]) == HEADER[1]
    return response


def send(standin, ref, body=None, standard="nfse"):
    body = municipal_payload() if body is None else body
    return call("POST", f"{standin.url}/v2/{standard}", body=body, params={"ref": ref})


def status(standin, ref, standard="nfse"):
    return call("GET", f"{standin.url}/v2/{standard}/{ref}", params={"completa": 0})


def cancel(standin, ref, justification=JUSTIFICATION):
    return call("DELETE", f"{standin.url}/v2/nfse/{ref}", body={"justificativa": justification})


def notes(standin):
    return {note["ref"]: note for note in call("GET", f"{standin.url}/standin/notes").json()}


def assert_valid_pdf(content):
    """%PDF- to %%EOF, and an xref table whose offsets point at its objects."""
    assert content.startswith(b"%PDF-")
    assert content.endswith(b"%%EOF")
    startxref = int(re.search(rb"startxref\n(\d+)\n%%EOF$", content).group(1))
    assert content[startxref:].startswith(b"xref\n")
    offsets = re.findall(rb"(\d{10}) 00000 n ", content[startxref:])
    assert offsets
    for number, offset in enumerate(offsets, 1):
        assert content[int(offset) :].startswith(b"%d 0 obj" % number)


def test_send_answers_processing_and_keeps_the_body(standin):
    payload = municipal_payload()
    response = send(standin, "rps1", payload)

    assert response.status_code == 202
    assert response.json()["status"] == "processando_autorizacao"
    assert response.json()["ref"] == "rps1"
    note = notes(standin)["rps1"]
    assert note["status"] == "processando_autorizacao"
    assert (note["tomador"], note["valor"], note["numero"]) == ("Maria da Silva", 197.0, "")
    assert standin.note("rps1").sent_body == payload
    detail = call("GET", f"{standin.url}/standin/nfse/rps1").json()
    assert detail["last_body"] == payload


def test_status_authorizes_with_a_number_an_xml_and_a_pdf(standin):
    send(standin, "rps1")
    send(standin, "rps2", municipal_payload("Empresa Ação & Filhos <Ltda>", 1500.5))

    first = status(standin, "rps1")
    second = status(standin, "rps2").json()

    assert first.status_code == 200
    first = first.json()
    assert first["status"] == second["status"] == "autorizado"
    assert (first["numero"], second["numero"]) == ("1", "2")
    assert (
        first["codigo_verificacao"]
        and first["codigo_verificacao"] != (second["codigo_verificacao"])
    )
    issued = datetime.strptime(first["data_emissao"], "%Y-%m-%dT%H:%M:%S%z")
    assert issued.utcoffset() == timedelta(hours=-3)
    assert "caminho_xml_cancelamento" not in first
    # the query again: the same note, not a new number
    assert status(standin, "rps1").json()["numero"] == "1"

    # the XML is a path on the same host, as OCA's _fetch_xml_from_path reads it
    assert first["caminho_xml_nota_fiscal"].startswith("/")
    xml = requests.get(standin.url + second["caminho_xml_nota_fiscal"], timeout=10)
    assert xml.status_code == 200
    root = ET.fromstring(xml.content)
    namespace = {"n": "http://www.abrasf.org.br/nfse.xsd"}
    assert root.find(".//n:Numero", namespace).text == "2"
    assert root.find(".//n:RazaoSocial", namespace).text == "Empresa Ação & Filhos <Ltda>"
    assert root.find(".//n:ValorServicos", namespace).text == "1500.50"

    for key in ("url", "url_danfse"):
        assert first[key].startswith(standin.url)
        pdf = requests.get(first[key], timeout=10)
        assert pdf.status_code == 200
        assert pdf.headers["Content-Type"] == "application/pdf"
        assert_valid_pdf(pdf.content)

    listed = notes(standin)
    assert (listed["rps1"]["status"], listed["rps1"]["numero"]) == ("autorizado", "1")


def test_cancel_keeps_the_justification(standin):
    send(standin, "rps7")
    status(standin, "rps7")

    response = cancel(standin, "rps7")

    assert response.status_code == 200
    assert response.json() == {"status": "cancelado"}
    after = status(standin, "rps7").json()
    assert after["status"] == "cancelado"
    assert after["numero"] == "1"
    # what OCA's cancel event and PDF need, and no cancellation XML on Focus's own host
    assert "caminho_xml_cancelamento" not in after
    assert_valid_pdf(requests.get(after["url"], timeout=10).content)
    assert notes(standin)["rps7"]["justificativa"] == JUSTIFICATION
    assert standin.note("rps7").last_body == {"justificativa": JUSTIFICATION}
    # a second cancel: Focus says it is cancelled already
    again = cancel(standin, "rps7")
    assert again.status_code == 400
    assert again.json()["codigo"] == "nfe_cancelada"


def test_a_refused_cancel_answers_focus_error_shape(standin):
    send(standin, "rps3")
    status(standin, "rps3")

    switch = call("POST", f"{standin.url}/standin/nfse/rps3/refuse-cancel")
    response = cancel(standin, "rps3")

    assert switch.status_code == 200
    assert switch.json() == {"ref": "rps3", "refuse_cancel": True}
    assert response.status_code == 400
    payload = response.json()
    assert payload["codigo"] == "prazo_cancelamento_expirado"
    assert payload["status"] == "erro_cancelamento"
    assert "prazo" in payload["mensagem"]
    assert payload["erros"][0]["mensagem"] == payload["mensagem"]
    # OCA's request helper raises on it (raise_for_status), with the message as detail
    with pytest.raises(requests.HTTPError):
        response.raise_for_status()
    # the note stays authorized, and no justification is kept
    assert status(standin, "rps3").json()["status"] == "autorizado"
    assert notes(standin)["rps3"]["justificativa"] == ""
    assert standin.note("rps3").cancel_refusals == 1

    # taken back, the cancel goes through
    call("POST", f"{standin.url}/standin/nfse/rps3/refuse-cancel", body={"refuse": False})
    assert cancel(standin, "rps3").json() == {"status": "cancelado"}


def test_refuse_cancel_of_an_unknown_note_is_404(standin):
    response = call("POST", f"{standin.url}/standin/nfse/rps404/refuse-cancel")
    assert response.status_code == 404


@pytest.mark.parametrize("auth", [None, ("", ""), ("False", "")])
def test_no_token_is_403(standin, auth):
    """No basic auth, an empty user, or Odoo's False of a company without a token."""
    response = call(
        "POST",
        f"{standin.url}/v2/nfse",
        auth=auth,
        body=municipal_payload(),
        params={"ref": "rps1"},
    )

    assert response.status_code == 403
    assert response.json()["codigo"] == "permissao_negada"
    assert response.json()["mensagem"]
    assert notes(standin) == {}
    assert status(standin, "rps1").status_code == 404
    assert call("GET", f"{standin.url}/v2/nfse/rps1", auth=auth).status_code == 403


def test_only_the_configured_token_when_one_is(standin):
    strict = FocusNfeStandIn(token="the-token").start()
    try:
        wrong = call(
            "POST", f"{strict.url}/v2/nfse", body=municipal_payload(), params={"ref": "rps1"}
        )
        right = call(
            "POST",
            f"{strict.url}/v2/nfse",
            auth=("the-token", ""),
            body=municipal_payload(),
            params={"ref": "rps1"},
        )
    finally:
        strict.stop()
    assert wrong.status_code == 403
    assert right.status_code == 202


def test_invalid_bodies_are_422(standin):
    without_tomador = municipal_payload()
    del without_tomador["tomador"]
    without_amount = municipal_payload()
    del without_amount["servico"]["valor_servicos"]
    not_a_number = municipal_payload()
    not_a_number["servico"]["valor_servicos"] = "cento e noventa"

    for body in (without_tomador, without_amount, not_a_number):
        response = send(standin, "rps1", body)
        assert response.status_code == 422
        payload = response.json()
        assert payload["codigo"] == "requisicao_invalida"
        assert payload["mensagem"]  # what OCA shows in its UserError on a 422
    assert "tomador" in send(standin, "rps1", without_tomador).json()["mensagem"]
    assert "valor_servicos" in send(standin, "rps1", without_amount).json()["mensagem"]
    assert notes(standin) == {}

    broken = requests.post(
        f"{standin.url}/v2/nfse", params={"ref": "rps1"}, data="{", auth=TOKEN, timeout=10
    )
    assert broken.status_code == 400
    assert broken.json()["codigo"] == "requisicao_invalida"


def test_national_standard(standin):
    response = send(standin, "12", national_payload(), standard="nfsen")
    assert response.status_code == 202
    assert response.json()["status"] == "processando_autorizacao"

    # the note is under the national standard's path only
    assert status(standin, "12").status_code == 404
    payload = status(standin, "12", standard="nfsen").json()
    assert (payload["status"], payload["numero"]) == ("autorizado", "1")
    root = ET.fromstring(
        requests.get(standin.url + payload["caminho_xml_nota_fiscal"], timeout=10).content
    )
    namespace = {"n": "http://www.sped.fazenda.gov.br/nfse"}
    assert root.find(".//n:nNFSe", namespace).text == "1"
    assert root.find(".//n:vServ", namespace).text == "49.90"
    assert_valid_pdf(requests.get(payload["url_danfse"], timeout=10).content)
    listed = notes(standin)["12"]
    assert (listed["standard"], listed["tomador"], listed["valor"]) == (
        "nacional",
        "João Pereira",
        49.9,
    )

    cancelled = call("DELETE", f"{standin.url}/v2/nfsen/12", body={"justificativa": JUSTIFICATION})
    assert cancelled.json() == {"status": "cancelado"}

    invalid = national_payload()
    del invalid["valor_servico"]
    assert send(standin, "13", invalid, standard="nfsen").status_code == 422


def test_unknown_ref_is_404(standin):
    for response in (status(standin, "rps99"), cancel(standin, "rps99")):
        assert response.status_code == 404
        assert response.json()["codigo"] == "nao_encontrado"


def test_a_cancel_without_justification_is_422(standin):
    send(standin, "rps5")
    status(standin, "rps5")
    response = cancel(standin, "rps5", justification="")
    assert response.status_code == 422
    assert response.json()["codigo"] == "requisicao_invalida"


def test_the_command_serves_on_the_port_given():
    process = subprocess.Popen(
        [sys.executable, str(STANDIN / "focusnfe_standin.py"), "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        banner = process.stdout.readline()
        assert banner.startswith(BANNER)
        url = banner.rsplit(" ", 1)[-1].strip()
        response = requests.get(f"{url}/standin/notes", timeout=10)
        assert response.json() == []
        assert response.headers[HEADER[0]] == HEADER[1]
    finally:
        process.terminate()
        process.wait(timeout=10)
