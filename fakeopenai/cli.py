"""``fakeopenai serve | validate | scenarios`` (also ``python -m fakeopenai``)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

from fakeopenai import __version__
from fakeopenai.render.profiles import PROFILE_NAMES

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fakeopenai", description="A deterministic fake of the OpenAI "
                                     "Assistants (runs, steps, streaming) and Batch/Files APIs.")
    parser.add_argument("--version", action="version", version=f"fakeopenai {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the fake server")
    serve.add_argument("--scenario", default=None, help="built-in name or YAML path (default: default)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (0 picks a free one; default 8000)")
    serve.add_argument("--seed", default=None, help="override the scenario's seed")
    serve.add_argument("--compat", choices=PROFILE_NAMES, default=None, help="serialization profile")
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"],
                       help="log requests and state changes at this level (default info)")
    serve.add_argument("--scenario-dir", action="append", default=[], metavar="DIR",
                       help="also look up scenario names here (repeatable)")
    serve.add_argument("--no-control", action="store_true", help="disable the /_fake control API")
    serve.add_argument("--api-key", action="append", default=None, metavar="KEY",
                       help="accept only these bearer keys (repeatable; default: any key)")
    serve.add_argument("--max-tenants", type=int, default=None, help="most API keys kept at once")
    serve.add_argument("--max-stored-bytes", type=int, default=None, metavar="N",
                       help="file bytes one API key may store (default 2 GiB)")

    validate = sub.add_parser("validate", help="check scenario files")
    validate.add_argument("files", nargs="+", metavar="FILE")

    scenarios = sub.add_parser("scenarios", help="list the built-in scenarios")
    scenarios.add_argument("--scenario-dir", action="append", default=[], metavar="DIR")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    if args.command == "validate":
        return validate(args.files)
    return list_scenarios(args.scenario_dir)


def validate(files: Sequence[str]) -> int:
    from fakeopenai.scenario.loader import ScenarioError, load_scenario

    bad = 0
    for name in files:
        try:
            load_scenario(Path(name))
        except ScenarioError as exc:
            bad += 1
            for problem in exc.problems:
                print(problem)
        else:
            print(f"{name}: ok")
    return 1 if bad else 0


def list_scenarios(scenario_dirs: Sequence[str] = ()) -> int:
    from fakeopenai.scenario.loader import ScenarioError, builtin_dir, load_scenario

    folders = [builtin_dir(), *map(Path, scenario_dirs)]
    for folder in folders:
        for path in sorted(folder.glob("*.y*ml")):
            try:
                description = load_scenario(path).description or "(no description)"
            except ScenarioError as exc:
                description = f"INVALID: {exc.problems[0]}"
            print(path.stem)
            print(textwrap.indent(textwrap.fill(description, 76), "    "))
    return 0


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from fakeopenai.app import create_app
    from fakeopenai.scenario.loader import ScenarioError
    from fakeopenai.server import listen_socket

    level = getattr(logging, args.log_level.upper())
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    logging.getLogger("fakeopenai").setLevel(level)
    seed: int | str | None = args.seed
    if isinstance(seed, str) and seed.lstrip("-").isdigit():
        seed = int(seed)
    try:
        app = create_app(args.scenario, seed=seed, compat=args.compat, scenario_dirs=args.scenario_dir,
                         control=not args.no_control, api_keys=args.api_key, max_tenants=args.max_tenants,
                         max_stored_bytes=args.max_stored_bytes)
    except ScenarioError as exc:
        print(f"fakeopenai: cannot load the scenario:\n{exc}", file=sys.stderr)
        return 2
    if args.host not in LOOPBACK:
        logging.getLogger("fakeopenai").warning(
            "binding to %s: anyone who can reach this address can use the fake%s. Bind 127.0.0.1 unless "
            "other machines must reach it.", args.host, "" if args.no_control else " and its /_fake control API")
    try:
        sock = listen_socket(args.host, args.port)
    except OSError as exc:
        print(f"fakeopenai: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 2
    port = sock.getsockname()[1]
    host = f"[{args.host}]" if ":" in args.host else args.host
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", loop="asyncio")
    server = uvicorn.Server(config)

    def _exit(signum: int, frame: object) -> None:
        raise SystemExit(0)

    # uvicorn shuts down on SIGINT/SIGTERM, then re-raises the signal: exit 0 then.
    signal.signal(signal.SIGINT, _exit)
    signal.signal(signal.SIGTERM, _exit)

    async def run() -> None:
        task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started and not task.done():
            await asyncio.sleep(0.005)
        if server.started:
            scenario = app.state.registry.default_scenario
            print(f"fakeopenai serving on http://{host}:{port}/v1", flush=True)
            logging.getLogger("fakeopenai").info("default scenario %r (%s); control API %s", scenario.name,
                                                 scenario.source, "off" if args.no_control else "at /_fake")
        await task

    try:
        asyncio.run(run())
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
