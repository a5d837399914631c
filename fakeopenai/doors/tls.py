"""``fakeopenai serve --tls``: https and wss with a local certificate authority made at start.

Clients that only dial ``wss://`` (the Node SDK's ``OpenAIRealtimeWS`` and ``OpenAIRealtimeWebSocket``)
need a server certificate they trust: the server makes a CA (``trustme``, over ``cryptography``), issues
a certificate for ``localhost``, ``127.0.0.1``, ``::1`` and the bound host, and writes the CA's PEM where
the user points ``NODE_EXTRA_CA_CERTS`` (Node) or ``SSL_CERT_FILE`` (Python: ``ssl``, httpx, websockets).
A new CA every start: nothing to keep secret, nothing that outlives the test run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class TlsFiles:
    ca: Path        # the CA certificate (PEM): what clients trust
    cert: Path      # the server's certificate chain (PEM)
    key: Path       # the server's private key (PEM)


def make_tls(folder: Path, host: str) -> TlsFiles:
    """A new CA and a server certificate for ``host`` (and the loopback names), written to ``folder``."""
    import trustme

    ca = trustme.CA(organization_name="fakeopenai", organization_unit_name="local test CA")
    names = ["localhost", "127.0.0.1", "::1"]
    if host not in names and host not in ("0.0.0.0", "::"):
        names.append(host)
    issued = ca.issue_cert(*names)
    folder.mkdir(parents=True, exist_ok=True)
    files = TlsFiles(ca=folder / "fakeopenai-ca.pem", cert=folder / "server-cert.pem", key=folder / "server-key.pem")
    ca.cert_pem.write_to_path(str(files.ca))
    issued.private_key_pem.write_to_path(str(files.key))
    with files.cert.open("wb") as handle:
        for pem in issued.cert_chain_pems:
            handle.write(pem.bytes())
    return files
