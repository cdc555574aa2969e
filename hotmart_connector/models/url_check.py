"""Where a Hotmart account may send its credentials (checked before anything is sent), and
whether Hotmart can reach this Odoo's webhook URL."""

import ipaddress
from urllib.parse import urlsplit


def is_loopback(host):
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_problem(env, url):
    """What is wrong with ``url`` as a place to send the credentials, in words; None when it
    is fine (https, or http to loopback; a scheme and a host only)."""
    parts = urlsplit((url or "").strip())
    try:
        host = parts.hostname if parts.port is None or 0 < parts.port < 65536 else None
    except ValueError:  # a port that is not a number
        host = None
    if parts.scheme not in ("https", "http") or not host:
        return env._("write a full URL, such as https://developers.hotmart.com.")
    extra = parts.username or parts.password or parts.query or parts.fragment
    if extra or parts.path not in ("", "/"):
        return env._(
            "give only the scheme and the host (and a port), such as "
            "https://developers.hotmart.com."
        )
    if parts.scheme == "http" and not is_loopback(host):
        return env._(
            "only https is allowed; plain http only to this machine (localhost, 127.0.0.1, "
            "::1), for a local sandbox."
        )
    return None


def is_public_https(url):
    """Whether Hotmart, on the internet, can post to ``url``: https to a host that is not
    this machine nor a private network address."""
    parts = urlsplit((url or "").strip())
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or not host or is_loopback(host) or "." not in host:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return not host.endswith((".local", ".localhost", ".internal", ".lan"))
    return address.is_global
