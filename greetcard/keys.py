"""Fixed-size keys for the records a run keeps per row.

A long list keeps, per row, only what later rows are checked against (ids, file
names, recipients).  A 128-bit digest as an int costs 44 bytes whatever the text,
where the text itself costs 50 to 200; two texts share a key with a chance of
about 10⁻²⁹ in a million rows.
"""

from __future__ import annotations

import hashlib


def row_key(text: str) -> int:
    """A 128-bit key for ``text``, the same in every run and process."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest())
