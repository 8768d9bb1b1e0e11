"""A fresh CSRF token for a response, drawn faster than Django draws it.

`django.middleware.csrf.get_token` masks the visitor's secret with 32 random characters that
`get_random_string` draws one at a time (a `secrets.choice`, an `os.urandom` call each): about 30 us, a
twentieth of the cached status page (issue 12, "Fast pages"). `fresh_token` returns the same thing, a new
mask and the secret under it, as Django's middleware checks it (`_unmask_cipher_token`), with the mask drawn
from one `os.urandom` call. A visitor without a secret yet gets Django's own `get_token` (which makes one
and its cookie). tests/test_csrf_token.py checks the tokens against Django's middleware.
"""

from __future__ import annotations

import os

from django.http import HttpRequest
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, get_token

_CHARS = CSRF_ALLOWED_CHARS
_INDEX = {char: index for index, char in enumerate(_CHARS)}
_UNBIASED = 256 - 256 % len(_CHARS)  # bytes at or above this would favour the first characters: skipped


def _random_chars(count: int) -> str:
    chosen: list[str] = []
    while len(chosen) < count:
        chosen.extend(_CHARS[byte % len(_CHARS)] for byte in os.urandom(count + 8) if byte < _UNBIASED)
    return "".join(chosen[:count])


def fresh_token(request: HttpRequest) -> str:
    """What `get_token(request)` returns: the visitor's CSRF secret under a new random mask; the cookie is
    renewed with the response, as `get_token` has it."""
    secret = request.META.get("CSRF_COOKIE")
    if secret is None or len(secret) != CSRF_SECRET_LENGTH:
        return get_token(request)
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    mask = _random_chars(CSRF_SECRET_LENGTH)
    return mask + "".join(
        _CHARS[(_INDEX[plain] + _INDEX[masking]) % len(_CHARS)]
        for plain, masking in zip(secret, mask, strict=True)
    )
