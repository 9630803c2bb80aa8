"""Per-recipient link tokens that only the holder of a secret can compute.

``?r={id}`` lets anyone walk the ids and see who was invited; ``?t={token}``
does not.  A token is an HMAC-SHA256 of the row's id (and an optional campaign
name) under a secret read from a file or an environment variable, cut to 64
bits and written as 11 letters and digits: stable across reruns with the same
secret, unique in practice (a collision among 100,000 ids has odds near 1 in
4·10⁹), and
unguessable without the secret.  The secret itself is never written anywhere:
not into a PDF, the manifest or any message.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass, field
from pathlib import Path

from .errors import GreetcardError

SECRET_ENV = "GREETCARD_TOKEN_SECRET"
SECRET_FILE_ENV = "GREETCARD_TOKEN_SECRET_FILE"
TOKEN_BITS = 64
TOKEN_LENGTH = 11  # 62**11 > 2**64
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
MIN_SECRET_BYTES = 16
TOKEN_PLACEHOLDER = "token"
_MAKE_ONE = "python3 -c 'import secrets; print(secrets.token_urlsafe(32))' > token-secret.txt"


class TokenSecretError(GreetcardError):
    """Raised when a link uses {token} and no usable secret is given."""


@dataclass(frozen=True)
class TokenSigner:
    """Computes the token of a row id; its secret stays out of repr, logs and files."""

    secret: bytes = field(repr=False)
    campaign: str = ""

    def token(self, row_id: str) -> str:
        message = b"greetcard-token\0" + self.campaign.encode("utf-8") + b"\0" + row_id.encode("utf-8")
        digest = hmac.new(self.secret, message, hashlib.sha256).digest()
        number = int.from_bytes(digest[: TOKEN_BITS // 8], "big")
        # Letters and digits only: safe in a URL, never read as a formula, selected by a double-click.
        characters = []
        for _ in range(TOKEN_LENGTH):
            number, digit = divmod(number, len(_ALPHABET))
            characters.append(_ALPHABET[digit])
        return "".join(reversed(characters))


def load_signer(secret_file: Path | None = None, campaign: str | None = None) -> TokenSigner | None:
    """The signer from ``secret_file``, else $GREETCARD_TOKEN_SECRET_FILE, else $GREETCARD_TOKEN_SECRET.

    None when no secret is given at all (links without {token} need none).
    """
    file = secret_file or (Path(os.environ[SECRET_FILE_ENV]) if os.environ.get(SECRET_FILE_ENV) else None)
    if file is not None:
        try:
            secret = file.read_bytes().strip()
        except OSError as err:
            raise TokenSecretError(
                f"{file}: cannot read the token secret ({err.strerror or err}) — create one with: {_MAKE_ONE}"
            ) from None
        source = str(file)
    elif os.environ.get(SECRET_ENV):
        secret = os.environ[SECRET_ENV].strip().encode("utf-8")
        source = f"${SECRET_ENV}"
    else:
        return None
    if len(secret) < MIN_SECRET_BYTES:
        raise TokenSecretError(
            f"{source}: the token secret has {len(secret)} bytes; use at least {MIN_SECRET_BYTES} random "
            f"bytes, e.g.: {_MAKE_ONE}"
        )
    return TokenSigner(secret, campaign or "")


def missing_secret(where: str) -> TokenSecretError:
    return TokenSecretError(
        f"{where} uses {{token}}, which needs a secret: pass --secret-file FILE or set ${SECRET_ENV} "
        f"(create one with: {_MAKE_ONE}; keep it out of the output folder)"
    )
