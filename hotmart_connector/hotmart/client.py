"""Hotmart's REST API: OAuth token, cursor pages, rate limit, retries and typed errors.

Every call goes through :meth:`HotmartClient._call`. Secrets (client secret, Basic, access
token) never reach a log line or an exception message: the token request carries the secret
in its query string, so no URL of it is ever logged or echoed.
"""

import logging
import re
import time
import weakref
from datetime import datetime, timezone
from urllib.parse import quote, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from .exceptions import (
    HotmartAuthError,
    HotmartBadPayloadError,
    HotmartBadRequestError,
    HotmartCredentialsRefusedError,
    HotmartRateLimitError,
    HotmartTransientError,
    HotmartWindowTooLargeError,
)

_logger = logging.getLogger(__name__)

TOKEN_PATH = "/security/oauth/token"
SALES_PATH = "/payments/api/v1/sales/"
PRODUCTS_PATH = "/products/api/v1/products"
SUBSCRIPTIONS_PATH = "/payments/api/v1/subscriptions"
MAX_PAGE_SIZE = 500
MIN_WINDOW_MS = 60 * 1000  # a 502 on a window shorter than this is not split further
_ECHOED_TOKEN = re.compile(r"(token\s*[:=]\s*)\S+", re.IGNORECASE)
# The token request's query string carries the client secret (Hotmart wants it there).
_SECRET_IN_QUERY = re.compile(r"((?:client_secret|access_token)(?:=|%3D))[^&\s'\"]+", re.IGNORECASE)
# Libraries that log request URLs: urllib3 on every retry (WARNING) and every request (DEBUG).
REDACTED_LOGGERS = (
    "urllib3.connectionpool",
    "urllib3.connection",
    "urllib3.poolmanager",
    "urllib3.response",
    "urllib3.util.retry",
    "requests",
    __name__,
)
_LIVE_CLIENTS = weakref.WeakSet()


class SecretRedactingFilter(logging.Filter):
    """Blank secrets out of log records before any handler sees them.

    urllib3 logs the URL of each retried request, query string included: for the token
    request that is the client secret. Attached to the loggers that log URLs, this rewrites
    the record in place, whatever the level and whatever handler is configured.
    """

    def filter(self, record):
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 (a broken record is the logging module's to report)
            return True
        redacted = redact_secrets(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def redact_secrets(text):
    """``text`` without the secret of any live client, nor any client_secret query value."""
    text = _SECRET_IN_QUERY.sub(r"\1***", text)
    for client in list(_LIVE_CLIENTS):
        for secret in client._secrets():
            if secret in text:
                text = text.replace(secret, "***")
    return text


def install_log_redaction():
    """Attach the redacting filter once to every logger that may log a Hotmart URL."""
    for name in REDACTED_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, SecretRedactingFilter) for f in logger.filters):
            logger.addFilter(SecretRedactingFilter())


install_log_redaction()


def to_epoch_ms(moment):
    """Epoch milliseconds of a datetime (naive means UTC) or of an epoch already in ms."""
    if isinstance(moment, int | float):
        return int(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp() * 1000)


def normalize_basic(basic):
    """The Basic value as an Authorization header, whether pasted with 'Basic ' or not."""
    value = (basic or "").strip()
    if value[:6].lower() == "basic ":
        value = value[6:].strip()
    return f"Basic {value}"


class HotmartClient:
    """One Hotmart credential talking to one Hotmart environment.

    :param timeout: (connect, read) seconds, applied to every call.
    :param retries: how many times a 500/503/504 answer or a connection error is retried,
        with exponential backoff (urllib3's ``Retry``).
    :param rate_limit_retries: how many 429 answers are waited out before giving up.
    :param rate_limit_reserve: calls kept in reserve: when ``RateLimit-Remaining`` falls to
        this, the client waits for ``RateLimit-Reset`` before its next call.
    :param sleep, clock: injectable for tests (``time.sleep`` and ``time.monotonic``).
    """

    def __init__(
        self,
        client_id,
        client_secret,
        basic,
        *,
        api_url,
        auth_url,
        timeout=(10, 45),
        retries=3,
        backoff=0.5,
        rate_limit_retries=5,
        rate_limit_reserve=5,
        max_wait=90,
        page_size=MAX_PAGE_SIZE,
        sleep=time.sleep,
        clock=time.monotonic,
    ):
        self.client_id = client_id
        self._client_secret = client_secret or ""
        self._authorization = normalize_basic(basic)
        self.api_url = (api_url or "").rstrip("/")
        self.auth_url = (auth_url or "").rstrip("/")
        self.timeout = timeout
        self.backoff = backoff
        self.rate_limit_retries = rate_limit_retries
        self.rate_limit_reserve = rate_limit_reserve
        self.max_wait = max_wait
        self.page_size = min(int(page_size), MAX_PAGE_SIZE)
        self._sleep = sleep
        self._clock = clock
        self._token = None
        self._token_expires_at = 0.0
        self._throttled_until = 0.0
        self.session = self._build_session(retries, backoff)
        self.write_session = self._build_session(retries, backoff, writes=True)
        _LIVE_CLIENTS.add(self)

    @staticmethod
    def _build_session(retries, backoff, writes=False):
        """A session retrying what failed on the way; for ``writes`` (Hotmart's write calls,
        none idempotent), only a connection never made: a request Hotmart may have received
        is never sent twice."""
        retry = Retry(
            total=retries,
            connect=retries,
            read=0 if writes else retries,
            status=0 if writes else retries,
            other=0,
            status_forcelist=(500, 503, 504),
            # the token request is a POST; a write call is never re-sent after a failure
            allowed_methods=frozenset() if writes else frozenset({"GET", "POST"}),
            backoff_factor=backoff,
            raise_on_status=False,
            respect_retry_after_header=True,
        )
        session = requests.Session()
        adapter = HTTPAdapter(max_retries=retry)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        session.headers["User-Agent"] = "hotmart_connector (Odoo 18)"
        session.headers["Accept"] = "application/json"
        return session

    # ------------------------------------------------------------------ token

    def get_token(self, force=False):
        """A valid access token, from cache until shortly before it expires."""
        if not force and self._token and self._clock() < self._token_expires_at:
            return self._token
        self._token = None
        payload = self._call(
            "POST",
            self.auth_url + TOKEN_PATH,
            params={
                "grant_type": "client_credentials",
                "client_id": self.client_id,
                "client_secret": self._client_secret,
            },
            headers={"Authorization": self._authorization},
            is_token_call=True,
        )
        token = payload.get("access_token") if isinstance(payload, dict) else None
        if not token or not isinstance(token, str):
            raise HotmartBadPayloadError(
                "Hotmart's token answer has no access_token.", reason="token_without_access"
            )
        try:
            lifetime = max(int(payload.get("expires_in") or 3600), 1)
        except (TypeError, ValueError):
            lifetime = 3600
        # renew a few minutes early (a tenth of the lifetime for short-lived tokens)
        self._token = token
        self._token_expires_at = self._clock() + lifetime - min(300, lifetime / 10)
        return token

    # ------------------------------------------------------------------ calls

    def get(self, path, params=None):
        """GET an API path with the bearer token; a 401 renews the token and retries once."""
        return self._with_token("GET", path, params=params)

    def send(self, method, path, body=None):
        """A write call (PUT, POST, PATCH) with a JSON body; its answer, ``{}`` when empty.

        Sent once: a 401 (refused, so not done) renews the token and a 429 (not done either)
        waits, but a timeout or a failure after sending is raised, never retried, since
        Hotmart's write calls are not idempotent. The caller tells "refused" from "maybe
        done" by the error's type (``HotmartTransientError``: maybe done).
        """
        try:
            return self._with_token(method, path, json=body, session=self.write_session)
        except HotmartBadPayloadError as error:
            if error.status_code and 200 <= error.status_code < 300:
                return {}  # done: "consider only the HTTP code"
            raise

    def _with_token(self, method, path, **kwargs):
        """An API call with the bearer token; a 401 renews the token and calls once more
        (Hotmart refused it: nothing was done)."""
        renewed = False
        while True:
            token = self.get_token()
            try:
                return self._call(
                    method,
                    self.api_url + path,
                    headers={"Authorization": f"Bearer {token}"},
                    **kwargs,
                )
            except HotmartAuthError as error:
                if renewed or error.status_code != 401:
                    raise
                _logger.info("Hotmart refused the access token (%s); renewing it.", error.code)
                self._token = None
                renewed = True

    def _call(
        self,
        method,
        url,
        *,
        params=None,
        headers=None,
        is_token_call=False,
        json=None,
        session=None,
    ):
        """The one request helper: throttle, send, wait out 429s, decode, raise typed errors."""
        for attempt in range(self.rate_limit_retries + 1):
            self._wait_for_budget()
            response = self._send(
                method, url, params, headers, is_token_call, json, session or self.session
            )
            self._remember_budget(response)
            if response.status_code != 429:
                return self._decode(response, url, is_token_call)
            if attempt == self.rate_limit_retries:
                break
            wait = self._rate_limit_wait(response, attempt)
            _logger.warning("Hotmart rate limit reached; waiting %.1f s before retrying.", wait)
            self._sleep(wait)
        raise HotmartRateLimitError(
            "Hotmart's rate limit for this credential (500 calls per minute) stayed spent; "
            "the next run will continue.",
            status_code=429,
            code="too_many_requests",
            reason="rate_limit_spent",
        )

    def _send(self, method, url, params, headers, is_token_call, json=None, session=None):
        host = urlsplit(url).netloc
        if is_token_call:
            _logger.debug("Hotmart %s %s (token request)", method, host)
        else:
            _logger.debug("Hotmart %s %s %s", method, url, params or "")
        try:
            response = (session or self.session).request(
                method, url, params=params, headers=headers, json=json, timeout=self.timeout
            )
        except requests.Timeout:
            raise HotmartTransientError(
                f"Hotmart ({host}) did not answer within {self._read_timeout()} seconds; "
                "try again later.",
                reason="timeout",
                values={"host": host, "seconds": self._read_timeout()},
            ) from None
        except requests.RequestException as error:
            # requests' own message holds the full URL, secret included: never reuse it
            raise HotmartTransientError(
                f"Could not reach Hotmart at {host} ({type(error).__name__}). Check the "
                "account's URLs and this server's internet access, then try again.",
                reason="unreachable",
                values={"host": host},
            ) from None
        return response

    def _decode(self, response, url, is_token_call):
        status = response.status_code
        if 200 <= status < 300:
            if not response.content.strip():
                return {}  # a write call's answer: "consider only the HTTP code"
            try:
                return response.json()
            except ValueError:
                raise HotmartBadPayloadError(
                    f"Hotmart answered HTTP {status} with a body that is not JSON "
                    f"({self._describe(url, is_token_call)}).",
                    status_code=status,
                    reason="answer_not_json",
                    values={"status": status},
                ) from None
        code, description = self._error_details(response)
        where = self._describe(url, is_token_call)
        if status in (400, 401, 403) and is_token_call:
            raise HotmartCredentialsRefusedError(
                f"Hotmart refused the credentials (HTTP {status}, {code or 'no reason given'}).",
                status_code=status,
                code=code,
                reason="credentials_refused",
            )
        if status in (401, 403):
            raise HotmartAuthError(
                f"Hotmart refused the access to {where} (HTTP {status}, "
                f"{code or 'no reason given'}).",
                status_code=status,
                code=code,
                reason="access_refused",
                values={"status": status},
            )
        if status == 502:
            raise HotmartWindowTooLargeError(
                f"Hotmart gave up on {where} (HTTP 502): the query ran past its time limit.",
                status_code=status,
                code=code,
                reason="window_too_large",
            )
        if status >= 500:
            raise HotmartTransientError(
                f"Hotmart failed on {where} (HTTP {status}) after retries; try again later.",
                status_code=status,
                code=code,
                reason="server_error",
                values={"status": status},
            )
        detail = f": {description}" if description else ""
        raise HotmartBadRequestError(
            f"Hotmart refused {where} (HTTP {status}, {code or 'bad request'}){detail}.",
            status_code=status,
            code=code,
            reason="bad_request",
            values={"status": status, "code": code or "bad request", "description": description},
        )

    def _error_details(self, response):
        try:
            body = response.json()
        except ValueError:
            return None, None
        if not isinstance(body, dict):
            return None, None
        code = body.get("error")
        description = body.get("error_description") or body.get("message")
        return (
            self._redact(str(code)) if code else None,
            self._redact(str(description))[:200] if description else None,
        )

    def _describe(self, url, is_token_call):
        if is_token_call:
            return "the token request"
        return urlsplit(url).path

    def _secrets(self):
        candidates = (self._client_secret, self._authorization[6:], self._token)
        return [secret for secret in candidates if secret and len(secret) >= 4]

    def _redact(self, text):
        for secret in self._secrets():
            text = text.replace(secret, "***")
        # a token echoed back in an error description ("Invalid access token: H4sI...")
        return _ECHOED_TOKEN.sub(r"\1***", text)

    def _read_timeout(self):
        return self.timeout[1] if isinstance(self.timeout, tuple) else self.timeout

    # ------------------------------------------------------------------ rate limit

    def _wait_for_budget(self):
        wait = self._throttled_until - self._clock()
        if wait > 0:
            _logger.info("Hotmart call budget nearly spent; waiting %.1f s.", wait)
            self._sleep(wait)
        self._throttled_until = 0.0

    def _remember_budget(self, response):
        remaining = self._header_number(
            response, "RateLimit-Remaining", "X-RateLimit-Remaining-Minute"
        )
        if remaining is None or remaining > self.rate_limit_reserve:
            return
        reset = self._header_number(response, "RateLimit-Reset")
        wait = min(reset if reset is not None else 1.0, self.max_wait)
        self._throttled_until = self._clock() + wait

    def _rate_limit_wait(self, response, attempt):
        wait = self._header_number(response, "RateLimit-Reset", "Retry-After")
        if wait is None:
            wait = max(1.0, self.backoff * 2**attempt)
        return min(max(wait, 0.1), self.max_wait)

    @staticmethod
    def _header_number(response, *names):
        for name in names:
            value = response.headers.get(name)
            if value is None:
                continue
            try:
                return float(value)
            except ValueError:
                continue
        return None

    # ------------------------------------------------------------------ pages

    def iter_pages(self, path, params=None):
        """Each page's ``items`` list, following ``next_page_token`` until it is absent."""
        params = dict(params or {}, max_results=self.page_size)
        page_token = None
        while True:
            page_params = dict(params, page_token=page_token) if page_token else params
            payload = self.get(path, page_params)
            items = payload.get("items") if isinstance(payload, dict) else None
            if not isinstance(items, list):
                raise HotmartBadPayloadError(
                    f"Hotmart's answer for {path} has no items list.", reason="no_items"
                )
            yield items
            next_token = (payload.get("page_info") or {}).get("next_page_token")
            if not next_token or next_token == page_token:
                return
            page_token = next_token

    def iter_sales_pages(self, endpoint, date_from, date_to, status=None, **filters):
        """Pages of ``/sales/<endpoint>`` ordered in [date_from, date_to], one status.

        A 502 on a window's first page means the query was too heavy for Hotmart: the window
        is split in two and each half read in turn. Later pages are retried as any call.
        """
        start, end = to_epoch_ms(date_from), to_epoch_ms(date_to)
        params = {"start_date": start, "end_date": end, **filters}
        if status:
            params["transaction_status"] = status
        pages = self.iter_pages(SALES_PATH + endpoint, params)
        try:
            first_page = next(pages, None)
        except HotmartWindowTooLargeError:
            if end - start <= MIN_WINDOW_MS:
                raise
            middle = start + (end - start) // 2
            _logger.info("Hotmart 502 on %s; splitting the window in two.", endpoint)
            yield from self.iter_sales_pages(endpoint, start, middle, status, **filters)
            yield from self.iter_sales_pages(endpoint, middle + 1, end, status, **filters)
            return
        if first_page is None:
            return
        yield first_page
        yield from pages

    def sales_history(self, date_from, date_to, status=None, **filters):
        return self.iter_sales_pages("history", date_from, date_to, status, **filters)

    def sales_users(self, date_from, date_to, status=None, **filters):
        return self.iter_sales_pages("users", date_from, date_to, status, **filters)

    def sales_price_details(self, date_from, date_to, status=None, **filters):
        return self.iter_sales_pages("price/details", date_from, date_to, status, **filters)

    def sales_commissions(self, date_from, date_to, status=None, **filters):
        return self.iter_sales_pages("commissions", date_from, date_to, status, **filters)

    def products(self, **filters):
        return self.iter_pages(PRODUCTS_PATH, filters)

    def subscriptions(self, **filters):
        """Pages of subscriptions (filters: product_id, status, subscriber_code...)."""
        return self.iter_pages(SUBSCRIPTIONS_PATH, filters)

    def subscription_purchases(self, subscriber_code):
        """The charges of one subscription: for the rare sale its buyer and product leave
        ambiguous (one buyer subscribed twice to a product), never one call per sale."""
        return self.get(f"{SUBSCRIPTIONS_PATH}/{quote(subscriber_code, safe='')}/purchases")

    def sales_summary(self, date_from, date_to, status=None):
        """Every item of ``/sales/summary`` for [date_from, date_to]: one per currency, with
        Hotmart's count and value (APPROVED and COMPLETE sales without ``status``)."""
        params = {"start_date": to_epoch_ms(date_from), "end_date": to_epoch_ms(date_to)}
        if status:
            params["transaction_status"] = status
        return [item for page in self.iter_pages(SALES_PATH + "summary", params) for item in page]

    # ------------------------------------------------------------------ writes

    def refund_sale(self, transaction):
        """Ask Hotmart to refund the buyer of ``transaction``; ``{}`` when it accepts."""
        return self.send("PUT", f"{SALES_PATH}{quote(transaction, safe='')}/refund")

    def cancel_subscriptions(self, codes, send_mail=True):
        """Cancel one subscription, or several in one call; Hotmart's answer as it is."""
        body = {"send_mail": bool(send_mail)}
        if len(codes) == 1:
            return self.send("POST", f"{self._subscription_path(codes[0])}/cancel", body)
        body["subscriber_code"] = list(codes)
        return self.send("POST", f"{SUBSCRIPTIONS_PATH}/cancel", body)

    def reactivate_subscriptions(self, codes, charge=False):
        """Reactivate one subscription, or several in one call: the subscriber accepts by
        e-mail. ``charge`` charges now instead of on the billing date."""
        body = {"charge": bool(charge)}
        if len(codes) == 1:
            return self.send("POST", f"{self._subscription_path(codes[0])}/reactivate", body)
        body["subscriber_code"] = list(codes)
        return self.send("POST", f"{SUBSCRIPTIONS_PATH}/reactivate", body)

    def change_charge_day(self, code, day):
        """Move a subscription's charge day (1 to 31) after the charge already scheduled."""
        return self.send("PATCH", self._subscription_path(code), {"due_day": int(day)})

    @staticmethod
    def _subscription_path(code):
        return f"{SUBSCRIPTIONS_PATH}/{quote(code, safe='')}"

    def check_connection(self):
        """Get a new token and make one cheap API call; raises a HotmartError on failure."""
        self.get_token(force=True)
        end = to_epoch_ms(datetime.now(timezone.utc))
        day = 24 * 3600 * 1000
        params = {"max_results": 1, "start_date": end - day, "end_date": end}
        self.get(SALES_PATH + "history", params)
        return True
