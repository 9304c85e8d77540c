"""HTTPS: uvicorn's flags (`--ssl-certfile`, `--ssl-keyfile`, `--ssl-keyfile-password`)
turned into Twisted's TLS, TLS 1.2 or newer, around the Site's own connections.

The certificate file may hold the chain after the server's certificate, and the key
too when no key file is given (as uvicorn allows). The files are read with
`cryptography`, the loader pyOpenSSL asks for.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from twisted.internet.interfaces import IProtocolFactory
from twisted.internet.ssl import CertificateOptions, TLSVersion
from twisted.protocols.tls import TLSMemoryBIOFactory


class TLSFilesError(ValueError):
    """A certificate or key file that cannot be used; str() says which and why."""


@dataclass(frozen=True)
class TLSFiles:
    certfile: Path
    keyfile: Path | None = None
    password: str | None = None

    def to_json(self) -> str:
        """For a child process (uvicorn) that serves the same certificate."""
        data = asdict(self)
        data["certfile"] = str(self.certfile)
        data["keyfile"] = str(self.keyfile) if self.keyfile else None
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> TLSFiles:
        data = json.loads(text)
        keyfile = data["keyfile"]
        return cls(
            Path(data["certfile"]), Path(keyfile) if keyfile else None, data["password"]
        )


def certificate_options(
    files: TLSFiles, protocols: tuple[bytes, ...] = (b"http/1.1",)
) -> CertificateOptions:
    """Twisted's TLS options for the files, offering `protocols` over ALPN."""
    try:
        chain = x509.load_pem_x509_certificates(files.certfile.read_bytes())
        key_pem = (files.keyfile or files.certfile).read_bytes()
        password = files.password.encode() if files.password is not None else None
        key = load_pem_private_key(key_pem, password)
    except (OSError, ValueError, TypeError) as bad:
        raise TLSFilesError(
            f"cannot use {files.certfile} / {files.keyfile}: {bad}"
        ) from bad
    # Twisted's annotations still name pyOpenSSL's PKey and X509, whose use
    # pyOpenSSL now deprecates; it takes `cryptography`'s objects as they are.
    return CertificateOptions(
        privateKey=key,  # type: ignore[arg-type]
        certificate=chain[0],  # type: ignore[arg-type]
        extraCertChain=chain[1:],  # type: ignore[arg-type]
        raiseMinimumTo=TLSVersion.TLSv1_2,
        acceptableProtocols=list(protocols),
    )


def wrap(factory: IProtocolFactory, options: CertificateOptions) -> TLSMemoryBIOFactory:
    """`factory`'s connections, served over TLS."""
    return TLSMemoryBIOFactory(options, False, factory)
