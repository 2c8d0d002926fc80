"""``engage serve``: the web application for intake staff, the Board and policy authors."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from .common import add_db_argument, add_policy_arguments, at_least_one, load_engine, open_store

if TYPE_CHECKING:
    from ..cli import Streams

NAME = "serve"
HELP = "start the web application (sign in with an account made by 'engage users add')"
DESCRIPTION = (
    "Serve the web application on HOST:PORT: new requests, batch uploads, the queue, decisions, the audit and"
    " the rules, for the accounts made with 'engage users add'. Decisions are recorded in the decision log"
    " (--db). Stop it with Ctrl+C."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="the address to listen on (default: 127.0.0.1, this computer only)")
    parser.add_argument("--port", type=int, default=8000, help="the port to listen on (default: 8000)")
    add_db_argument(parser)
    add_policy_arguments(parser)
    parser.add_argument(
        "--proxy",
        metavar="ADDRESS",
        action="append",
        default=[],
        help="the address of a reverse proxy in front of Engage whose X-Forwarded-For header is trusted"
        " (repeatable; default: none, so every client is known by its own connection's address)",
    )
    parser.add_argument(
        "--max-upload-mb",
        type=at_least_one("megabytes"),
        default=None,
        metavar="MB",
        help="the largest file a batch upload may send, in megabytes (default: 20); a larger file is refused as it arrives",
    )
    parser.add_argument(
        "--repo",
        metavar="DIR",
        help="the git repository whose revisions the impact page offers (default: the one holding --rules)",
    )


def run(args: argparse.Namespace, streams: Streams) -> int:
    import uvicorn

    from ..web.app import create_app
    from ..web.context import WebConfig

    engine = load_engine(args, streams)
    if engine is None:
        return 2
    store = open_store(args)
    limit = {"max_upload_bytes": args.max_upload_mb * 1024 * 1024} if args.max_upload_mb else {}
    app = create_app(engine, store, WebConfig(repo=Path(args.repo) if args.repo else None, **limit))
    shown_host = f"[{args.host}]" if ":" in args.host else args.host
    streams.stderr.write(f"engage: serving the decision log {store.where} at http://{shown_host}:{args.port}/ (Ctrl+C stops)\n")
    if app.state.web.accounts.count() == 0:
        streams.stderr.write("engage: there is no account yet: create one with 'engage users add NAME --role admin'\n")
    try:
        # uvicorn trusts X-Forwarded-For from 127.0.0.1 by default: then anyone on this machine could
        # pose as any address (and step around the sign-in limit).  Only a named proxy is trusted.
        uvicorn.run(
            app,
            host=args.host,
            port=args.port,
            log_level="warning",
            access_log=False,
            server_header=False,
            proxy_headers=bool(args.proxy),
            forwarded_allow_ips=",".join(args.proxy) if args.proxy else "",
        )
    finally:
        store.close()
        engine.close()
    return 0
