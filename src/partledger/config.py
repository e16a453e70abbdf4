"""Settings from the environment (prefix ``PARTLEDGER_``), with embedded defaults.

With no RPC URL the service runs its own local anvil chain whose state lives in
the data directory, next to the SQLite index, the blob store and the keystores.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import BeforeValidator, Field, HttpUrl, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def _list_from_env(value: Any) -> Any:
    """A list setting from the environment: comma-separated (``a,b``) or a JSON array."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith(("[", "{")):
        return json.loads(text)
    return [item.strip() for item in text.split(",") if item.strip()]


def _authority(host: str, port: int | None, scheme: str = "http") -> str:
    host = host.lower()
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 literal
    default = 443 if scheme == "https" else 80
    return host if port in (None, default) else f"{host}:{port}"


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of an absolute URL, lower case, without a default port.

    Raises ``ValueError`` if the URL has no scheme or host (or a malformed port).
    """
    parts = urlsplit(url)
    if not parts.scheme or not parts.hostname:
        raise ValueError(f"not an absolute URL: {url!r}")
    scheme = parts.scheme.lower()
    userinfo = ""
    if parts.username is not None:  # kept: such a URI is on no origin we serve
        userinfo = parts.netloc.rsplit("@", 1)[0] + "@"
    return f"{scheme}://{userinfo}{_authority(parts.hostname, parts.port, scheme)}"


StrList = Annotated[list[str], NoDecode, BeforeValidator(_list_from_env)]
"""Every list setting uses this: ``PARTLEDGER_X=a,b`` and ``PARTLEDGER_X='["a","b"]'``."""


class Settings(BaseSettings):
    """Everything PartLedger reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="PARTLEDGER_", extra="ignore")

    data_dir: Path = Field(
        default=Path(".partledger"),
        description="Chain state, SQLite index, blob store and keystores live here.",
    )
    rpc_url: HttpUrl | None = Field(
        default=None, description="EVM JSON-RPC endpoint; none means the embedded local anvil."
    )
    network: str = Field(
        default="local",
        pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$",
        description="Deployment record name: deployments/<network>.json.",
    )
    chain_port: int = Field(default=8545, ge=1, le=65535, description="Port of the local anvil.")
    chain_id: int = Field(default=31337, ge=1, description="Chain id of the local anvil.")
    deployer_key: str | None = Field(
        default=None,
        repr=False,
        description="Hex private key that deploys (default on the local chain: anvil account 0).",
    )
    api_host: str = Field(default="127.0.0.1")
    api_port: int = Field(default=8000, ge=1, le=65535)
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default SQLite in the data directory."
    )
    confirmations: int = Field(default=1, ge=0, le=1000)
    blob_url: str | None = Field(
        default=None,
        description="Blob store: s3://bucket/prefix (an S3-compatible bucket; endpoint, region "
        "and credentials from AWS_ENDPOINT_URL[_S3], AWS_REGION, AWS_ACCESS_KEY_ID, "
        "AWS_SECRET_ACCESS_KEY) or a directory; default: <data_dir>/blobs.",
    )
    # -- the HTTP service (partledger.api) ---------------------------------------------
    service_database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the service's own tables (SIWE nonces, access log, "
        "relay queue); default SQLite service.sqlite3 in the data directory.",
    )
    api_origin: str | None = Field(
        default=None,
        description="The origin clients reach the service at, scheme://host[:port] (e.g. "
        "https://ledger.example.org behind a TLS proxy). Sign-in messages must name its "
        "host[:port] as domain and carry a URI on it. Default: http://<api_host>:<api_port>.",
    )
    api_domain: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9.\-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$",
        description="The domain (host[:port]) sign-in messages must name; default: that of "
        "api_origin. Without api_origin, URIs on http(s)://<api_domain> are accepted.",
    )
    api_token_secret: str | None = Field(
        default=None,
        repr=False,
        description="HMAC key of bearer tokens; default: a random key kept in the data dir.",
    )
    api_token_ttl: int = Field(default=900, ge=10, le=86_400, description="Token lifetime (s).")
    api_nonce_ttl: int = Field(default=300, ge=10, le=3600, description="SIWE nonce lifetime.")
    api_public_provenance: bool = Field(
        default=True, description="Whether provenance lookups need no authentication."
    )
    api_max_upload_bytes: int = Field(default=8 * 1024**3, ge=1, description="Largest upload.")
    api_max_json_bytes: int = Field(default=1024**2, ge=1, description="Largest JSON body.")
    api_rate_per_second: float = Field(
        default=50.0, gt=0, description="Sustained requests/s allowed per account (or client IP)."
    )
    api_rate_burst: int = Field(default=200, ge=1, description="Burst size of the rate limit.")
    api_role_cache_seconds: float = Field(
        default=2.0, ge=0, description="How long roles read from the chain are reused."
    )
    api_custodial_oems: StrList = Field(
        default_factory=list,
        description="Identity names (keystore or PARTLEDGER_KEY_<NAME>_*) the service acts for "
        "on-chain and encrypts for (server-side encryption, custodial keys).",
    )
    api_indexer: bool = Field(default=True, description="Run the event indexer in the service.")
    relayer_key: str | None = Field(
        default=None,
        repr=False,
        description="Funded key relaying signed attestations (local default: anvil account 9).",
    )
    anchor_key: str | None = Field(
        default=None,
        repr=False,
        description="Funded key anchoring the access-log head on-chain (local: anvil account 8).",
    )
    api_anchor_seconds: float = Field(
        default=30.0, ge=0, description="How often the access-log head is anchored (0: never)."
    )
    relay_batch_size: int = Field(default=200, ge=1, le=5000)
    relay_window_ms: int = Field(default=50, ge=0, le=60_000)
    relay_finality_blocks: int | None = Field(
        default=None, ge=0, description="Depth at which a relayed print is final (local: 0)."
    )

    @field_validator("api_origin")
    @classmethod
    def _http_origin(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value.strip())
        if (
            parts.scheme.lower() not in ("http", "https")
            or not parts.hostname
            or parts.username is not None
            or parts.path not in ("", "/")
            or parts.query
            or parts.fragment
        ):
            raise ValueError("must be an origin: http(s)://host[:port], nothing after it")
        return origin_of(value.strip())

    @field_validator("blob_url")
    @classmethod
    def _blob_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        scheme = value.split("://", 1)[0].lower() if "://" in value else ""
        if scheme == "s3":
            from partledger.storage.s3 import parse_s3_url

            parse_s3_url(value)  # ValueError names what is wrong
        elif scheme not in ("", "file"):
            raise ValueError("must be s3://bucket[/prefix], a file:// URL or a directory")
        return value

    @field_validator("data_dir")
    @classmethod
    def _absolute_data_dir(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @property
    def uses_local_chain(self) -> bool:
        """True when PartLedger runs its own anvil instead of an external RPC."""
        return self.rpc_url is None

    @property
    def api_siwe_domain(self) -> str:
        """The domain every sign-in message must name (never taken from a request)."""
        if self.api_domain:
            return self.api_domain.lower()
        if self.api_origin:
            return urlsplit(self.api_origin).netloc
        return _authority(self.api_host, self.api_port)

    @property
    def api_siwe_origins(self) -> tuple[str, ...]:
        """The origins a sign-in message's URI may be on (``scheme://host[:port]``)."""
        if self.api_origin:
            return (self.api_origin,)
        domain = self.api_siwe_domain
        if self.api_domain:
            return (f"https://{domain}", f"http://{domain}")
        return (f"http://{domain}",)

    @property
    def chain_dir(self) -> Path:
        """Where the local anvil keeps its state."""
        return self.data_dir / "chain"

    @property
    def blob_dir(self) -> Path:
        """Root of the filesystem blob store."""
        return self.data_dir / "blobs"

    @property
    def keystore_dir(self) -> Path:
        """Encrypted keystores of the local identities."""
        return self.data_dir / "keystores"

    @property
    def service_sqlalchemy_url(self) -> str:
        """The service's own database: configured URL, or SQLite in the data directory."""
        return self.service_database_url or f"sqlite:///{self.data_dir / 'service.sqlite3'}"

    @property
    def sqlalchemy_url(self) -> str:
        """The index database: configured URL, or SQLite in the data directory."""
        return self.database_url or f"sqlite:///{self.data_dir / 'index.sqlite3'}"

    def deployment_path(self, project_deployments: Path | None = None) -> Path:
        """Where this network's deployment record lives.

        The embedded chain differs per machine, so its record sits in the data
        directory; shared networks use the committed ``deployments/<network>.json``.
        """
        if self.uses_local_chain:
            return self.data_dir / "deployments" / f"{self.network}.json"
        return (project_deployments or Path("deployments")) / f"{self.network}.json"
