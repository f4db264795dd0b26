"""HTTP clients for the test servers on 127.0.0.1.

The tests speak plain HTTP, yet httpx builds an SSL context for every client it makes and loads
the CA bundle into it: 46 ms a client, measured, a sixth of a pytest run when every test made
one. One context, made once per process, serves them all (and would verify as the default one
does, were a test ever to speak TLS)."""

from __future__ import annotations

import ssl
from typing import Any

import httpx

LOOPBACK_TLS = ssl.create_default_context()


def loopback_client(**options: Any) -> httpx.Client:
    return httpx.Client(verify=LOOPBACK_TLS, **options)


def async_loopback_client(**options: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(verify=LOOPBACK_TLS, **options)
