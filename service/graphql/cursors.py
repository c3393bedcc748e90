"""Opaque cursors and page sizes for the connections.

A cursor holds a number (a position in the global log, or an entity's place in a list) encrypted under a key
derived from the signing secret: AES on one block holding the list's kind and the number. So a cursor reveals
nothing of other partnerships' activity (two of a partner's own events do not say how many others were recorded
between them, issue 14), it cannot be made by hand (no number beyond 64 bits, nor any other, reaches the store),
and one of another list is refused. The cryptography package's AES is used, not code of our own. Cursors last as
long as the signing secret: processes sharing a database share it, and a new secret makes earlier cursors unknown.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from typing import Sequence

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from service.graphql.errors import refusal

DEFAULT_PAGE = 50
MAX_PAGE = 100
LARGEST = 2 ** 63 - 1  # both stores' largest integer

key: bytes | None = None
contexts = threading.local()  # each thread's encryptor and decryptor (making one costs ten times using it)


def use_secret(secret: str) -> None:
    """Key the cursors by the service's signing secret (bootstrap does, for every process)."""
    global key
    key = hashlib.sha256(b"send-records cursors\n" + secret.encode()).digest()[:16]


def crypt(decrypt: bool, data: bytes) -> bytes:
    """One block encrypted or decrypted: blocks are each different, so ECB has nothing to chain."""
    assert key is not None, "cursors are keyed by the service's signing secret (service/bootstrap.py)"
    if getattr(contexts, "key", None) != key:
        cipher = Cipher(algorithms.AES(key), modes.ECB())
        contexts.key, contexts.encryptor, contexts.decryptor = key, cipher.encryptor(), cipher.decryptor()
    return (contexts.decryptor if decrypt else contexts.encryptor).update(data)


def block(kind: str, number: int) -> bytes:
    return kind.encode().ljust(8, b"\0") + number.to_bytes(8, "big")


def encode(kind: str, number: int) -> str:
    return encode_many(kind, [number])[0]


def encode_many(kind: str, numbers: Sequence[int]) -> list[str]:
    """The cursors of a page, encrypted in one call to the cipher (each block on its own, as ECB does), not one
    call a cursor."""
    sealed = crypt(False, b"".join(block(kind, number) for number in numbers))
    return [base64.urlsafe_b64encode(sealed[at:at + 16]).decode().rstrip("=") for at in range(0, len(sealed), 16)]


def decode(kind: str, cursor: str | None) -> int:
    """The number in a cursor of this kind; 0 (the start) for no cursor."""
    if cursor is None:
        return 0
    try:
        sealed = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        if len(sealed) == 16:
            opened = crypt(True, sealed)
            number = int.from_bytes(opened[8:], "big")
            if opened[:8] == block(kind, 0)[:8] and number <= LARGEST:
                return number
    except ValueError:
        pass
    raise refusal(f"{cursor[:100]!r} is not a cursor of this list" + ("..." if len(cursor) > 100 else ""))


def page_size(first: int | None) -> int:
    if first is None:
        return DEFAULT_PAGE
    if not 0 < first <= MAX_PAGE:
        raise refusal(f"first must be between 1 and {MAX_PAGE}")
    return first
