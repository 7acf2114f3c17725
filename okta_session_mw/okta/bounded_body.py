"""Reading one Okta answer's body within a bound, counted after decompression.

Both clients stream every answer (``send(..., stream=True)``) and feed the raw bytes
httpx receives to a :class:`BoundedBody`; it inflates them with ``zlib`` asking for
no more output than the room left under ``max_response_bytes``. So 1 MB of gzip that
would inflate to 1 GB costs at most the bound in memory and in CPU, on either client,
and the async one never holds its loop for more than that much inflating. (httpx's
own decoders inflate each network read whole: 64 KiB of gzip of zeros is 64 MiB.)

We ask for ``gzip`` only, which Okta sends; a body in any other coding is not an
answer we can read within the bound, so it is refused. The failures are
``httpx.DecodingError``s, so the call flow maps them with httpx's other failures.
"""

from __future__ import annotations

import zlib

import httpx

__all__ = [
    "ACCEPT_ENCODING",
    "BoundedBody",
    "ResponseTooLarge",
    "decoded_response",
    "read_already",
]

ACCEPT_ENCODING = "gzip"
"""The only content coding the clients ask for (and read)."""

_GZIP = 16 + zlib.MAX_WBITS


class ResponseTooLarge(httpx.DecodingError):
    """The body (decompressed) passed ``max_response_bytes``; reading stopped there.

    ``answer`` is the response without its body: a 429 still says "slow down".
    """

    def __init__(self, limit: int, response: httpx.Response) -> None:
        self.limit = limit
        self.status_code = response.status_code
        self.answer = decoded_response(response, b"")
        super().__init__(f"the body is larger than {limit} bytes", request=response.request)


class BoundedBody:
    """Collects one response's decoded body; raises as soon as it outgrows ``limit``."""

    def __init__(self, response: httpx.Response, limit: int) -> None:
        self._response = response
        self._request = response.request
        self._limit = limit
        self._size = 0
        self._parts: list[bytes] = []
        coding = response.headers.get("Content-Encoding", "").strip().lower()
        if coding in ("", "identity"):
            self._inflater = None
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > limit:
                # Refused before reading a byte of it.
                raise ResponseTooLarge(limit, response)
        elif coding in ("gzip", "x-gzip"):
            self._inflater = zlib.decompressobj(_GZIP)
        else:
            raise httpx.DecodingError(
                "the body has a content coding that was not asked for", request=self._request
            )

    def feed(self, raw: bytes) -> None:
        """Take the next bytes as received (still compressed, if they are)."""
        inflater = self._inflater
        if inflater is None:
            self._keep(raw)
            return
        pending = raw
        try:
            while pending and not inflater.eof:
                # At most one byte past the room left: enough to know the bound is passed.
                self._keep(inflater.decompress(pending, self._limit - self._size + 1))
                pending = inflater.unconsumed_tail
        except zlib.error:
            raise self._corrupt() from None

    def content(self) -> bytes:
        """The whole decoded body, once every received byte has been fed."""
        if self._inflater is not None:  # the last few bytes of a copy, at most 258
            try:
                tail = self._inflater.flush()
            except zlib.error:
                raise self._corrupt() from None
            self._keep(tail)
        return b"".join(self._parts)

    def _corrupt(self) -> httpx.DecodingError:
        return httpx.DecodingError("the gzip body is corrupt", request=self._request)

    def _keep(self, part: bytes) -> None:
        self._size += len(part)
        if self._size > self._limit:
            raise ResponseTooLarge(self._limit, self._response)
        self._parts.append(part)


def read_already(response: httpx.Response, limit: int) -> httpx.Response:
    """An answer whose body a transport read before handing it over (``MockTransport``):
    it is in memory already, decoded; still held to the bound, so tests see the rule."""
    if len(response.content) > limit:
        raise ResponseTooLarge(limit, response)
    return response


def decoded_response(response: httpx.Response, content: bytes) -> httpx.Response:
    """The answer with its body read and decoded, as the call flow reads it: the same
    status and headers, minus the coding and length of the body as it travelled."""
    headers = [
        (name, value)
        for name, value in response.headers.multi_items()
        if name.lower() not in ("content-encoding", "content-length")
    ]
    return httpx.Response(
        response.status_code, headers=headers, content=content, request=response.request
    )
