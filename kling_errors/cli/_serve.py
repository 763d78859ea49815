"""``kling-errors serve``: classify, explain and check-request over HTTP (README "Beyond
Python").

Starlette and uvicorn come with the ``serve`` extra and are imported by this command only
(README "What keeps start-up short"); without them the command says which extra to install.
The rules are loaded before the socket is bound, so a bad rule set fails like any command
(exit 3); SIGHUP reloads them (kling_errors._serve).
"""

from __future__ import annotations

import ipaddress
import logging
import signal
import socket
import sys

import click

from .._config import RuleSets
from .._exceptions import EXIT_USAGE, KlingErrorsError
from ._options import rule_set_options

DEFAULT_MAX_BODY = 1 << 20
DEFAULT_MAX_BATCH = 1_000


class CannotServe(KlingErrorsError):
    """The service cannot start: its extra is not installed, or the port cannot be had."""

    exit_code = EXIT_USAGE


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (port 0: any free one)."""
    try:
        family = socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET
    except ValueError:  # a name such as localhost
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say they are TCP,
    # and without it every answer waits ~40 ms for a delayed ACK (Nagle).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise CannotServe(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}",
            "choose another --port (0 picks a free one)",
        ) from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _log_to_stderr() -> None:
    logger = logging.getLogger("kling_errors.serve")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)-9s kling-errors: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8080,
    show_default=True,
    help="Port to listen on; 0 picks a free one (printed on stderr).",
)
@click.option(
    "--max-body-bytes",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_BODY,
    show_default=True,
    help="Larger request bodies are refused (413).",
)
@click.option(
    "--max-batch",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_BATCH,
    show_default=True,
    help="Batches of more records are refused (422).",
)
@click.option("--access-log/--no-access-log", default=True, help="Log each request on stderr.")
@rule_set_options
def serve(
    host: str,
    port: int,
    max_body_bytes: int,
    max_batch: int,
    access_log: bool,
    rule_sets: RuleSets,
) -> None:
    """Serve classify, explain and check-request over HTTP (JSON; OpenAPI at /openapi.json).

    Rules load once at start; SIGHUP reloads them (a failed reload keeps the old ones).
    No authentication: keep it on 127.0.0.1 or behind a proxy that adds it.
    """
    try:
        import uvicorn

        from .._serve import create_app
        from .._service import Service
    except ImportError as exc:
        raise CannotServe(
            f"`kling-errors serve` needs the serve extra ({exc})",
            "pip install 'kling-errors[serve]'  (Starlette and uvicorn)",
        ) from None
    _log_to_stderr()
    if hasattr(signal, "SIGHUP"):  # until the service takes it over: no reload, no exit
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
    service = Service(rule_sets.engine, max_body_bytes=max_body_bytes, max_batch=max_batch)
    sock = _listen(host, port)
    bound_host, bound_port = sock.getsockname()[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    if not _is_loopback(host):
        click.echo(
            f"warning: listening on {host}, beyond this machine, without authentication",
            err=True,
        )
    rules = len(service.current.engine.rules)
    click.echo(
        f"kling-errors serve: http://{shown}:{bound_port} ({rules} rules; SIGHUP reloads them)",
        err=True,
    )
    config = uvicorn.Config(
        create_app(service),
        log_level="info",
        access_log=access_log,
        lifespan="on",
        timeout_graceful_shutdown=10,
    )
    uvicorn.Server(config).run(sockets=[sock])
