#!/usr/bin/env python3
"""The local Focus NFe stand-in: a DEVELOPMENT TOOL that answers like Focus NFe's NFS-e API,
not Focus NFe, and issues no fiscal document.

It answers on loopback the calls OCA's ``l10n_br_nfse_focus`` makes, municipal (``/v2/nfse``)
and national standard (``/v2/nfsen``), with the token as the user of HTTP basic auth:

    POST   /v2/nfse?ref=REF    send a note: 202 {"status": "processando_autorizacao", ...}
    GET    /v2/nfse/REF        its status; the first query after a send authorizes the note
                               (number from 1, verification code, date with offset -03:00,
                               caminho_xml_nota_fiscal, url and url_danfse)
    DELETE /v2/nfse/REF        cancel it, body {"justificativa": ...}: 200 {"status": "cancelado"}

and serves the authorized note's XML (at ``caminho_xml_nota_fiscal``, on this host) and a tiny
PDF (at ``url`` and ``url_danfse``). It never answers ``caminho_xml_cancelamento``: OCA fetches
that path from Focus's own host, not from this one.

Errors keep Focus's shape, ``{"codigo": ..., "mensagem": ...}``: no token, 403
``permissao_negada``; a body without a tomador or without the services' amount, 422
``requisicao_invalida``; an unknown ref, 404 ``nao_encontrado``; a cancel the municipality
refuses, 400 ``prazo_cancelamento_expirado`` (with ``"status": "erro_cancelamento"``).

Control endpoints, for the demo and the tests:

    POST /standin/nfse/REF/refuse-cancel   this note's cancel will be refused, as a
                                           municipality whose window has closed
                                           (body {"refuse": false} takes it back)
    GET  /standin/notes                    every note: ref, status, number, tomador, amount,
                                           cancel justification
    GET  /standin/nfse/REF                 one note, with the last request body it received

    python3 standin/focusnfe_standin.py --port 18071

Every answer carries ``X-FocusNFe-Stand-In: development stand-in``. Standard library only.
"""

import argparse
import base64
import binascii
import contextlib
import hashlib
import json
import math
import threading
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, quote, unquote, urlsplit

from standin_server import StandInHandler, StandInServer

# what the tests and the demo take from here
__all__ = [
    "BANNER",
    "DEFAULT_PORT",
    "FocusNfeStandIn",
    "Note",
    "nfse_pdf",
    "nfse_xml",
]

BANNER = "Focus NFe stand-in (development tool, not Focus NFe)"
DEFAULT_PORT = 18071
STAND_IN_HEADER = "X-FocusNFe-Stand-In"
# Brasília time, the offset Focus gives its dates
BRT = timezone(timedelta(hours=-3))
# the API's path for each standard
STANDARDS = {"nfse": "municipal", "nfsen": "nacional"}
# what Odoo's requests sends as the user when the company has no token: no token at all
NO_TOKEN = {"", "False", "None"}
# who the national standard's flat body says the tomador is, by preference
TOMADOR_KEYS = ("razao_social_tomador", "cnpj_tomador", "cpf_tomador")
REFUSED_CANCEL = (
    "Cancelamento recusado pela prefeitura: o prazo para cancelar esta NFS-e expirou. "
    "Emita uma NFS-e substituta ou peça o cancelamento por processo administrativo."
)


@dataclass
class Note:
    """One NFS-e as the stand-in keeps it."""

    ref: str
    standard: str  # "nfse" (municipal) or "nfsen" (national standard)
    cnpj_prestador: str
    tomador: str
    valor: float
    descricao: str
    status: str = "processando_autorizacao"
    numero: str = ""
    codigo_verificacao: str = ""
    data_emissao: str = ""
    justificativa: str = ""
    refuse_cancel: bool = False
    cancel_refusals: int = 0
    sent_body: dict = field(default_factory=dict)  # the last note sent under this ref
    last_body: dict = field(default_factory=dict)  # the last request body: send or cancel

    def summary(self):
        return {
            "ref": self.ref,
            "standard": STANDARDS[self.standard],
            "status": self.status,
            "numero": self.numero,
            "tomador": self.tomador,
            "valor": self.valor,
            "justificativa": self.justificativa,
            "refuse_cancel": self.refuse_cancel,
        }

    def files_path(self):
        return f"/arquivos/{self.standard}/{quote(self.ref, safe='')}"

    def status_payload(self, base_url):
        """What ``GET /v2/nfse/REF`` answers for this note."""
        payload = {"cnpj_prestador": self.cnpj_prestador, "ref": self.ref, "status": self.status}
        if self.numero:
            payload.update(
                numero=self.numero,
                codigo_verificacao=self.codigo_verificacao,
                data_emissao=self.data_emissao,
                url=f"{base_url}{self.files_path()}/nfse.pdf",
                url_danfse=f"{base_url}{self.files_path()}/danfse.pdf",
                caminho_xml_nota_fiscal=f"{self.files_path()}/nfse.xml",
            )
        return payload


def _amount(value):
    """The amount as a float, or None when it is not a number."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        amount = float(value)
    except (TypeError, ValueError):
        return None
    return round(amount, 2) if math.isfinite(amount) else None


def read_note(standard, body):
    """The note's (cnpj_prestador, tomador, valor, descricao), or the 422 message."""
    if standard == "nfsen":
        # the national standard's body is flat: *_tomador, valor_servico
        name = next((body[key] for key in TOMADOR_KEYS if body.get(key)), "")
        if not name:
            return None, (
                'Parâmetro "tomador" não informado: cpf_tomador, cnpj_tomador ou '
                "razao_social_tomador"
            )
        valor = _amount(body.get("valor_servico"))
        if valor is None:
            return None, 'Parâmetro "valor_servico" não informado ou inválido'
        cnpj = body.get("cnpj_prestador") or body.get("cpf_prestador") or ""
        return (str(cnpj), str(name), valor, str(body.get("descricao_servico") or "")), None
    tomador = body.get("tomador")
    if not isinstance(tomador, dict) or not tomador:
        return None, 'Parâmetro "tomador" não informado'
    servico = body.get("servico")
    if not isinstance(servico, dict):
        return None, 'Parâmetro "servico" não informado'
    valor = _amount(servico.get("valor_servicos"))
    if valor is None:
        return None, 'Parâmetro "servico.valor_servicos" não informado ou inválido'
    prestador = body.get("prestador") if isinstance(body.get("prestador"), dict) else {}
    name = tomador.get("razao_social") or tomador.get("cnpj") or tomador.get("cpf") or ""
    descricao = str(servico.get("discriminacao") or "")
    return (str(prestador.get("cnpj") or ""), str(name), valor, descricao), None


def nfse_xml(note):
    """A small, well-formed NFS-e XML of the note: ABRASF's layout for a municipal note, the
    national standard's for a national one. Not a fiscal document: it says so inside."""
    valor = f"{note.valor:.2f}"
    if note.standard == "nfsen":
        root = ET.Element("NFSe", xmlns="http://www.sped.fazenda.gov.br/nfse", versao="1.00")
        root.append(ET.Comment(f" {BANNER}: not a fiscal document "))
        info = ET.SubElement(root, "infNFSe", Id=f"NFS{note.numero.zfill(15)}")
        ET.SubElement(info, "nNFSe").text = note.numero
        ET.SubElement(info, "cVerif").text = note.codigo_verificacao
        ET.SubElement(info, "dhProc").text = note.data_emissao
        ET.SubElement(ET.SubElement(info, "emit"), "CNPJ").text = note.cnpj_prestador
        ET.SubElement(ET.SubElement(info, "valores"), "vLiq").text = valor
        dps = ET.SubElement(ET.SubElement(info, "DPS", versao="1.00"), "infDPS")
        ET.SubElement(ET.SubElement(dps, "toma"), "xNome").text = note.tomador
        service = ET.SubElement(ET.SubElement(dps, "serv"), "cServ")
        ET.SubElement(service, "xDescServ").text = note.descricao
        values = ET.SubElement(ET.SubElement(dps, "valores"), "vServPrest")
        ET.SubElement(values, "vServ").text = valor
    else:
        root = ET.Element("CompNfse", xmlns="http://www.abrasf.org.br/nfse.xsd")
        root.append(ET.Comment(f" {BANNER}: not a fiscal document "))
        info = ET.SubElement(ET.SubElement(root, "Nfse", versao="2.04"), "InfNfse")
        info.set("Id", f"nfse{note.numero}")
        ET.SubElement(info, "Numero").text = note.numero
        ET.SubElement(info, "CodigoVerificacao").text = note.codigo_verificacao
        ET.SubElement(info, "DataEmissao").text = note.data_emissao
        ET.SubElement(ET.SubElement(info, "ValoresNfse"), "ValorLiquidoNfse").text = valor
        provider = ET.SubElement(ET.SubElement(info, "PrestadorServico"), "CpfCnpj")
        ET.SubElement(provider, "Cnpj").text = note.cnpj_prestador
        declaration = ET.SubElement(
            ET.SubElement(info, "DeclaracaoPrestacaoServico"), "InfDeclaracaoPrestacaoServico"
        )
        service = ET.SubElement(declaration, "Servico")
        ET.SubElement(ET.SubElement(service, "Valores"), "ValorServicos").text = valor
        ET.SubElement(service, "Discriminacao").text = note.descricao
        ET.SubElement(ET.SubElement(declaration, "Tomador"), "RazaoSocial").text = note.tomador
    text = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{text}\n'.encode()


def _pdf_text(text):
    """Text for a PDF string in Helvetica: ASCII, with ( ) and \\ escaped."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return ascii_text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def nfse_pdf(note):
    """A tiny, valid one-page PDF of the note (a real xref table), from ``%PDF-`` to ``%%EOF``."""
    lines = [
        BANNER,
        "Not a fiscal document.",
        f"NFS-e {note.numero} - verification code {note.codigo_verificacao}",
        f"Issued {note.data_emissao} - status {note.status}",
        f"Tomador: {note.tomador}",
        f"Valor dos servicos: R$ {note.valor:.2f}",
    ]
    shown = " T* ".join(f"({_pdf_text(line)}) Tj" for line in lines)
    stream = f"BT /F1 11 Tf 16 TL 56 780 Td {shown} ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
    ]
    pdf = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(pdf)
    pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    pdf += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    pdf += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n" % (len(objects) + 1, xref)
    return bytes(pdf + b"%%EOF")


class FocusNfeStandIn(StandInServer):
    """The stand-in server; ``start()`` serves in a thread, ``url`` is its base URL.

    ``token``: the one token accepted; None accepts any token given (none at all is a 403).
    """

    def __init__(self, host="127.0.0.1", port=0, token=None, quiet=True):
        self.token = token
        self.notes = {}  # ref -> Note
        self.last_number = 0
        self._lock = threading.Lock()
        super().__init__(host, port, quiet)

    def note(self, ref):
        """The note kept under ``ref``, or None."""
        with self._lock:
            return self.notes.get(ref)

    def refuse_cancel(self, ref, refuse=True):
        """Make this note's next cancels refused (or accepted again); False if no such note."""
        with self._lock:
            note = self.notes.get(ref)
            if note is None:
                return False
            note.refuse_cancel = refuse
            return True

    def authorize(self, note):
        """Authorize a note in processing: its number, verification code and date."""
        with self._lock:
            if note.status != "processando_autorizacao":
                return
            self.last_number += 1
            note.numero = str(self.last_number)
            digest = hashlib.sha256(f"{note.ref}:{note.numero}".encode()).hexdigest()
            note.codigo_verificacao = digest[:8].upper()
            note.data_emissao = datetime.now(BRT).replace(microsecond=0).isoformat()
            note.status = "autorizado"

    def _handler_class(self):
        sandbox = self

        class Handler(StandInHandler):
            server_version = "FocusNfeStandIn/1.0"
            stand_in = sandbox
            stand_in_header = STAND_IN_HEADER

            # routing

            def route(self):
                """(kind, standard, ref) of the request's path; kind None when unknown."""
                parts = [unquote(part) for part in urlsplit(self.path).path.split("/")[1:]]
                if len(parts) == 2 and parts[0] == "v2" and parts[1] in STANDARDS:
                    return "collection", parts[1], None
                if len(parts) == 3 and parts[0] == "v2" and parts[1] in STANDARDS and parts[2]:
                    return "note", parts[1], parts[2]
                if len(parts) == 4 and parts[0] == "arquivos" and parts[1] in STANDARDS:
                    return "file", parts[1], (parts[2], parts[3])
                if parts == ["standin", "notes"]:
                    return "standin-notes", None, None
                if len(parts) in (3, 4) and parts[0] == "standin" and parts[1] in STANDARDS:
                    kind = "standin-" + (parts[3] if len(parts) == 4 else "note")
                    return kind, parts[1], parts[2]
                return None, None, None

            def do_POST(self):
                kind, standard, ref = self.route()
                if kind == "collection":
                    return self.send_note(standard)
                if kind == "standin-refuse-cancel":
                    return self.switch_refusal(ref)
                return self.not_found()

            def do_GET(self):
                kind, standard, ref = self.route()
                if kind == "note":
                    return self.status(standard, ref)
                if kind == "file":
                    return self.file(standard, *ref)
                if kind == "standin-notes":
                    with sandbox._lock:
                        notes = [note.summary() for note in sandbox.notes.values()]
                    return self.reply(200, notes)
                if kind == "standin-note":
                    note = sandbox.note(ref)
                    if note is None:
                        return self.not_found()
                    detail = dict(note.summary(), sent_body=note.sent_body)
                    return self.reply(200, dict(detail, last_body=note.last_body))
                return self.not_found()

            def do_DELETE(self):
                kind, standard, ref = self.route()
                if kind == "note":
                    return self.cancel(standard, ref)
                return self.not_found()

            # the API

            def authorized(self):
                """Whether a token came, the one expected if one is; else answers 403."""
                auth = self.headers.get("Authorization", "")
                token = ""
                if auth.startswith("Basic "):
                    with contextlib.suppress(binascii.Error, UnicodeDecodeError):
                        token = base64.b64decode(auth[6:]).decode().partition(":")[0]
                if token not in NO_TOKEN and sandbox.token in (None, token):
                    return True
                self.error(
                    403,
                    "permissao_negada",
                    "Acesso negado: informe um token válido como usuário da autenticação HTTP "
                    "basic.",
                )
                return False

            def send_note(self, standard):
                if not self.authorized():
                    return None
                ref = (parse_qs(urlsplit(self.path).query).get("ref") or [""])[0]
                body = self.read_json()
                if body is None:
                    return None
                if not ref:
                    return self.error(422, "requisicao_invalida", 'Parâmetro "ref" não informado')
                values, problem = read_note(standard, body)
                if problem:
                    with sandbox._lock:
                        if ref in sandbox.notes:
                            sandbox.notes[ref].last_body = body
                    return self.error(422, "requisicao_invalida", problem)
                with sandbox._lock:
                    note = sandbox.notes.get(ref)
                    if note is not None and note.status == "autorizado":
                        note.last_body = body
                        return self.error(
                            422, "nfe_autorizada", "Nota fiscal já autorizada com esta referência"
                        )
                    if note is not None and note.status == "cancelado":
                        note.last_body = body
                        return self.error(
                            422, "nfe_cancelada", "Nota fiscal já cancelada com esta referência"
                        )
                    refuse = note.refuse_cancel if note is not None else False
                    note = Note(ref, standard, *values, refuse_cancel=refuse)
                    note.sent_body = note.last_body = body
                    sandbox.notes[ref] = note
                    payload = note.status_payload(self.base_url())
                return self.reply(202, payload)

            def found(self, standard, ref):
                """The note under ``ref`` sent to this standard's path; else answers 404."""
                note = sandbox.note(ref)
                if note is None or note.standard != standard:
                    self.error(404, "nao_encontrado", "Nota fiscal não encontrada")
                    return None
                return note

            def status(self, standard, ref):
                if not self.authorized():
                    return None
                note = self.found(standard, ref)
                if note is None:
                    return None
                sandbox.authorize(note)  # the first query after a send authorizes it
                with sandbox._lock:
                    payload = note.status_payload(self.base_url())
                return self.reply(200, payload)

            def cancel(self, standard, ref):
                if not self.authorized():
                    return None
                body = self.read_json()
                if body is None:
                    return None
                note = self.found(standard, ref)
                if note is None:
                    return None
                with sandbox._lock:
                    note.last_body = body
                    status, refuse = note.status, note.refuse_cancel
                justification = str(body.get("justificativa") or "").strip()
                if status == "cancelado":
                    return self.error(400, "nfe_cancelada", "Nota fiscal já cancelada")
                if status != "autorizado":
                    return self.error(
                        422,
                        "nfe_nao_autorizada",
                        "Nota fiscal em processamento: só uma nota autorizada pode ser cancelada",
                    )
                if not justification:
                    return self.error(
                        422, "requisicao_invalida", 'Parâmetro "justificativa" não informado'
                    )
                if refuse:
                    with sandbox._lock:
                        note.cancel_refusals += 1
                    return self.reply(
                        400,
                        {
                            "status": "erro_cancelamento",
                            "codigo": "prazo_cancelamento_expirado",
                            "mensagem": REFUSED_CANCEL,
                            "erros": [
                                {
                                    "codigo": "prazo_cancelamento_expirado",
                                    "mensagem": REFUSED_CANCEL,
                                    "correcao": None,
                                }
                            ],
                        },
                    )
                with sandbox._lock:
                    note.status = "cancelado"
                    note.justificativa = justification
                # no caminho_xml_cancelamento: OCA would fetch it from Focus's own host
                return self.reply(200, {"status": "cancelado"})

            def file(self, standard, ref, name):
                note = sandbox.note(ref)
                if note is None or note.standard != standard or not note.numero:
                    return self.not_found()
                if name == "nfse.xml":
                    return self.reply_raw(200, nfse_xml(note), content_type="application/xml")
                if name in ("nfse.pdf", "danfse.pdf"):
                    return self.reply_raw(200, nfse_pdf(note), content_type="application/pdf")
                return self.not_found()

            # the stand-in's controls

            def switch_refusal(self, ref):
                body = self.read_json()
                if body is None:
                    return None
                refuse = bool(body.get("refuse", True))
                if not sandbox.refuse_cancel(ref, refuse):
                    return self.not_found()
                return self.reply(200, {"ref": ref, "refuse_cancel": refuse})

            # helpers

            def base_url(self):
                """This stand-in's URL as the client reached it (the host it asked for)."""
                host = self.headers.get("Host")
                return f"http://{host}" if host else sandbox.url

            def read_json(self):
                """The request's JSON object ({} when empty); None after answering 400."""
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = None
                if isinstance(body, dict):
                    return body
                self.error(400, "requisicao_invalida", "O corpo da requisição não é um JSON válido")
                return None

            def not_found(self):
                return self.error(404, "nao_encontrado", "Recurso não encontrado")

            def error(self, status, code, message):
                return self.reply(status, {"codigo": code, "mensagem": message})

        return Handler


def main(argv=None):
    parser = argparse.ArgumentParser(description=BANNER)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--token", help="accept only this token (by default any token given)")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    sandbox = FocusNfeStandIn(args.host, args.port, token=args.token, quiet=not args.verbose)
    sandbox.serve_until_interrupted(f"{BANNER} on {sandbox.url}")


if __name__ == "__main__":
    main()
