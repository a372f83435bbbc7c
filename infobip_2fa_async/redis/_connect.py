"""What every Redis piece of the package shares: ``connect`` (a URL to a client: one Redis, a Redis Cluster, over TLS
with a CA bundle), the hash tag that keeps a script's keys in one Cluster slot, the warning logged once per outage,
and ``RedisStore``, the part of the shield's and the verifier's stores that is the same.

URLs: ``redis://``, ``rediss://`` (TLS) and ``unix://`` reach one Redis; ``redis+cluster://`` and
``rediss+cluster://`` reach a Redis Cluster through any of its nodes (redis-py's ``RedisCluster`` finds the others).
A user and password go in the URL (``redis://user:password@host:6379/0``, an ACL user); a CA bundle to check the
server's certificate by, as ``ssl_ca_certs=`` or in the URL (``rediss://host:6380/0?ssl_ca_certs=/etc/ca.pem``).
Nothing here connects: the first command does.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlsplit

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.connection import SSLConnection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisClusterException, RedisError

from .._exceptions import InvalidRequestError
from ._ranges import TIMEOUT_RANGE, in_range

__all__ = ["SLIPS", "UNREACHABLE", "Outage", "RedisStore", "Script", "connect", "hash_tagged"]

logger = logging.getLogger("infobip_2fa_async")

#: What a Redis that cannot be reached raises: redis-py's errors (a cluster with no node reachable raises
#: ``RedisClusterException``, which is not a ``RedisError``) and the socket's own.
UNREACHABLE = (RedisError, RedisClusterException, OSError)
#: What redis-py lets out of a command when a connection is closed under it, instead of its ConnectionError
#: (redis-py issue #4287; 8.1 on a cluster re-learning its slots): taken as Redis being unreachable.
SLIPS = (AttributeError, TypeError)

CLUSTER_SCHEMES = {"redis+cluster": "redis", "rediss+cluster": "rediss"}
SCHEMES = ("redis", "rediss", "unix", *CLUSTER_SCHEMES)
TLS_SCHEMES = ("rediss", "rediss+cluster")


def connect(
    url: str,
    *,
    timeout: float = 2.0,
    connect_timeout: float | None = None,
    ssl_ca_certs: str | os.PathLike[str] | None = None,
) -> Redis | RedisCluster:
    """A redis-py asyncio client for ``url``: ``Redis``, or ``RedisCluster`` for a ``redis+cluster://`` or
    ``rediss+cluster://`` URL. It connects on its first command; close it with ``aclose()``.

    Args:
        url: ``redis://[user:password@]host:6379/0``, ``rediss://`` (TLS), ``unix:///path/redis.sock``,
            ``redis+cluster://host:7000`` or ``rediss+cluster://host:7000`` (any node of a Redis Cluster; database 0
            only). Query options are redis-py's (``?ssl_ca_certs=/path/ca.pem``, ``?ssl_cert_reqs=none``, ...).
        timeout: Bound on each Redis call, in seconds (0.001 to 3,600).
        connect_timeout: Bound on making a connection (default: ``timeout``).
        ssl_ca_certs: A CA bundle (PEM file) that the server's certificate must chain to; TLS URLs only. Default: the
            system's CAs (or the URL's ``ssl_ca_certs``).

    Returns:
        The client.

    Raises:
        InvalidRequestError: Not a URL of one of the schemes above, one redis-py cannot use (a bad port, a database
            other than 0 on a cluster, ...), a timeout outside its range, or a CA bundle for a URL without TLS. The
            message never holds the URL's password.
    """
    timeout = in_range("timeout", timeout, TIMEOUT_RANGE, "seconds")
    connecting = timeout if connect_timeout is None else in_range("connect_timeout", connect_timeout, TIMEOUT_RANGE,
                                                                  "seconds")  # fmt: skip
    scheme = url.partition("://")[0].lower() if isinstance(url, str) and "://" in url else ""
    if scheme not in SCHEMES:
        raise InvalidRequestError(
            "url", "must be a redis://, rediss://, unix://, redis+cluster:// or rediss+cluster:// URL, "
                   f"e.g. redis://host:6379/0, not {_shown(url)}"
        )  # fmt: skip
    options: dict[str, Any] = {"socket_timeout": timeout, "socket_connect_timeout": connecting}
    if ssl_ca_certs is not None:
        if scheme not in TLS_SCHEMES:
            raise InvalidRequestError(
                "ssl_ca_certs", f"applies to TLS (rediss:// or rediss+cluster://), not {scheme}://"
            )
        options["ssl_ca_certs"] = os.fspath(ssl_ca_certs)
    try:
        if scheme in CLUSTER_SCHEMES:
            cluster = RedisCluster.from_url(CLUSTER_SCHEMES[scheme] + url[len(scheme) :], **options)
            _share_tls_contexts(cluster)
            return cluster
        client = Redis.from_url(url, **options)
        _share_tls_contexts(client)
        return client
    except (ValueError, TypeError, LookupError, RedisError, RedisClusterException) as error:  # e.g. a database not 0
        problem = _without_password(str(error), url)
        raise InvalidRequestError("url", f"cannot be used ({type(error).__name__}: {problem}): {_shown(url)}") from None


def _share_tls_contexts(client: Any) -> None:
    """Make ``client``'s TLS connections share one SSL context per settings (a no-op without TLS).

    redis-py before 8.2 (the newest for Python 3.10 is 8.1) builds an SSL context for every connection it opens,
    loading the CA bundle each time: 30 to 50 ms of CPU apiece with OpenSSL 3.0, so a burst of 40 calls on a fresh
    client spent seconds on contexts alone and ran past its connect timeout (a shield that fails closed then refused
    every send of a cold start). A CA bundle replaced on disk is read by processes started after it. The connection
    class of the client's pool (each cluster node's) becomes ``SharedContextSSLConnection``.
    """
    pools: list[Any] = [getattr(client, "connection_pool", None)]
    nodes = getattr(client, "nodes_manager", None)
    if nodes is not None:  # a cluster: the nodes it knows, and the settings of those it will find
        pools += list(getattr(nodes, "startup_nodes", {}).values())
        settings = getattr(nodes, "connection_kwargs", None)
        if isinstance(settings, dict) and settings.get("connection_class") is SSLConnection:
            settings["connection_class"] = SharedContextSSLConnection
    for pool in pools:
        if getattr(pool, "connection_class", None) is SSLConnection:
            pool.connection_class = SharedContextSSLConnection


class SharedContextSSLConnection(SSLConnection):
    """redis-py's TLS connection, its SSL context (CA bundle loaded, settings applied) shared by every connection with
    the same TLS settings in this process instead of made anew for each."""

    _shared: ClassVar[dict[tuple[str, ...], Any]] = {}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        made = self.ssl_context
        names = [name for name in getattr(type(made), "__slots__", ()) if name != "context"]
        if names:  # the settings are known: connections with the same ones share the first one's context
            key = tuple(repr(getattr(made, name, None)) for name in names)
            self.ssl_context = self._shared.setdefault(key, made)


def _password(url: str) -> str | None:
    try:
        return urlsplit(url).password
    except ValueError:
        return None


def _without_password(text: str, url: str) -> str:
    password = _password(url)
    return text.replace(password, "***") if password else text


def _shown(url: object) -> str:
    """The URL for a message, its password replaced by ``***``."""
    if not isinstance(url, str):
        return repr(url)
    scheme, separator, rest = url.partition("://")
    authority, slash, path = rest.partition("/")
    user, at, host = authority.rpartition("@")
    if at and ":" in user:
        user = user.split(":", 1)[0] + ":***"
    return repr(f"{scheme}{separator}{user}{at}{host}{slash}{path}")


def hash_tagged(key: str) -> str:
    """``key`` as the start of key names that share one Redis Cluster slot: as given when it holds a hash tag (Redis
    hashes only the text between its first ``{`` and the first ``}`` after it, when that is not empty), else wrapped
    in braces (``sms`` -> ``{sms}``)."""
    start = key.find("{")
    if start >= 0 and key.find("}", start + 1) > start + 1:
        return key
    return "{" + key + "}"


class Script:
    """A Lua script to run on ``redis`` (redis-py's ``register_script``: EVALSHA, and EVAL when the server has not
    seen it), made safe for a burst of calls on a fresh Redis Cluster client and for redis-py's own slips.

    - A cluster client learns the cluster's slots on its first command, but redis-py decides where a command goes
      before that: calls started together on a fresh client go to random nodes, get MOVED, and every few MOVED
      answers make it learn the slots again, closing connections that the other calls are using (redis-py 8.1 then
      raises ``AttributeError: 'NoneType' object has no attribute 'writelines'``). So the first call here waits for
      ``RedisCluster.initialize()`` (one for all; concurrent callers wait for it), and every call goes to its node.
    - A connection closed under a command can surface from redis-py as ``AttributeError`` or ``TypeError`` from the
      transport (redis-py issue #4287) instead of its ``ConnectionError``: raised as ``ConnectionError`` here, so the
      store's "cannot reach Redis" error is what callers see.
    """

    __slots__ = ("_ready", "_redis", "_script")

    def __init__(self, redis: Any, source: str) -> None:
        self._redis = redis
        self._script = redis.register_script(source)
        self._ready = not isinstance(redis, RedisCluster)

    async def __call__(self, keys: Sequence[Any], args: Sequence[Any] = ()) -> Any:
        try:
            if not self._ready:
                await self._redis.initialize()
                self._ready = True
            return await self._script(keys=keys, args=args)
        except SLIPS as slip:
            raise RedisConnectionError(f"redis-py failed under the call: {type(slip).__name__}: {slip}") from slip


class Outage:
    """A warning logged once per outage: at the first failure of a run of them, and when Redis answers again."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.logged = False

    def failed(self, error: BaseException, consequence: str) -> None:
        if not self.logged:
            logger.warning("%s; %s", error, consequence)
            self.logged = True

    def reached(self) -> None:
        if self.logged:
            logger.warning("%s reaches Redis again", self.what)
            self.logged = False


_Store = TypeVar("_Store", bound="RedisStore")


class RedisStore:
    """What the shield's and the verifier's Redis stores share: a name that is their keys' hash tag (every key is
    ``<space>:{<name>}:...``, so each script's keys sit in one Cluster slot), connections made by ``from_url`` and
    closed by ``aclose``, script calls whose Redis errors become the store's own error, and ``reset``."""

    shared = True
    _space = ""  # the keys' first part: "shield", "verify"
    _what = ""  # what the store serves, for messages: "shield", "verifier"

    def __init__(self, redis: Redis | RedisCluster, name: str) -> None:
        if not isinstance(name, str) or not name or "{" in name or "}" in name:
            raise InvalidRequestError(
                "name", f"must be a non-empty string without braces naming the {self._what}, e.g. 'login'"
            )
        self.name = name
        self.calls = 0
        """How many times this store asked Redis."""
        self._redis: Any = redis  # redis-py's annotations are looser than its answers; read them as documented
        self._owned = False
        self._namespace = f"{self._space}:{{{name}}}:"
        self._outage = Outage(f"the {self._what} {name!r}")

    @classmethod
    def _connected(
        cls: type[_Store], url: str, timeout: float, ssl_ca_certs: str | os.PathLike[str] | None, **arguments: Any
    ) -> _Store:
        store = cls(connect(url, timeout=timeout, ssl_ca_certs=ssl_ca_certs), **arguments)
        store._owned = True
        return store

    async def _call(self, script: Any, keys: Sequence[str], arguments: Sequence[Any], error: type[Exception],
                    consequence: str) -> Any:  # fmt: skip
        """One script call; a Redis that cannot be reached raises ``error`` (its message: what failed, then
        ``consequence``)."""
        self.calls += 1
        try:
            answer = await script(keys=keys, args=arguments)
        except UNREACHABLE as failure:
            raise error(
                f"the {self._what} {self.name!r} cannot reach Redis ({type(failure).__name__}){consequence}"
            ) from failure
        self._outage.reached()
        return answer

    async def reset(self) -> None:
        """Forget everything of this store (for tests and new starts): scans its keys, on every node of a cluster,
        and deletes them."""
        async for key in self._redis.scan_iter(match=self._namespace.replace("{", "\\{").replace("}", "\\}") + "*"):
            await self._redis.delete(key)

    async def aclose(self) -> None:
        """Close the Redis connections, if ``from_url`` made them."""
        if self._owned:
            await self._redis.aclose()

    async def __aenter__(self: _Store) -> _Store:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()
