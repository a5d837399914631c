"""``fakeopenai serve | validate | scenarios | schema`` (also ``python -m fakeopenai``)."""

from __future__ import annotations

import argparse
import asyncio
import atexit
import gc
import logging
import os
import shutil
import signal
import sys
import tempfile
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from fakeopenai import __version__
from fakeopenai.core.compat.profiles import PROFILE_NAMES

if TYPE_CHECKING:
    from fakeopenai.record import ConvertOptions

LOOPBACK = ("127.0.0.1", "localhost", "::1")


class _Parser(argparse.ArgumentParser):
    """argparse, with a bad option told in one line (``fakeopenai serve: error: ...``), exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


DEFAULT_PORT = 8000
DEFAULT_MAX_TENANTS = 10_000  # core.tenants.DEFAULT_MAX_TENANTS, not imported for --help (a test checks both)


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port: give a number from 0 to 65535 (0 picks a "
                                         "free one)")
    return int(text)


def _limit(default: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        if not text.isdigit() or int(text) < 1:
            raise argparse.ArgumentTypeError(f"invalid value {text!r}: give a whole number of 1 or more (leave the "
                                             f"option out for the default, {default})")
        return int(text)

    return parse


def _folder(text: str) -> str:
    if not Path(text).is_dir():
        reason = "is a file, not a folder" if Path(text).exists() else "is not a folder that exists"
        raise argparse.ArgumentTypeError(f"{text!r} {reason}")
    return text


def _not_empty(what: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if not text.strip():
            raise argparse.ArgumentTypeError(f"{what} cannot be empty")
        return text

    return parse


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="fakeopenai", description="A local, deterministic fake of the whole OpenAI "
                     "API (every operation of its spec), scripted with YAML scenarios.")
    parser.add_argument("--version", action="version", version=f"fakeopenai {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the fake server")
    serve.add_argument("--scenario", default=None, help="built-in name or YAML path (default: default)")
    serve.add_argument("--host", type=_not_empty("the address"), default="127.0.0.1",
                       help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=DEFAULT_PORT,
                       help=f"port, 0 to 65535 (0 picks a free one; default {DEFAULT_PORT})")
    serve.add_argument("--seed", default=None, help="override the scenario's seed")
    serve.add_argument("--compat", choices=PROFILE_NAMES, default=None, help="serialization profile")
    serve.add_argument("--unknown-ids", choices=["error", "generate"], default=None,
                       help="a request on an id the tenant does not hold (the spec's other operations): "
                            "error (404, the default) or generate (answered as if it existed)")
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"],
                       help="log requests and state changes at this level (default info)")
    serve.add_argument("--scenario-dir", action="append", type=_folder, default=[], metavar="DIR",
                       help="also look up scenario names in this folder, which must exist (repeatable)")
    serve.add_argument("--no-control", action="store_true", help="disable the /_fake control API")
    serve.add_argument("--api-key", action="append", type=_not_empty("an API key"), default=None, metavar="KEY",
                       help="accept only these bearer keys (repeatable; default: any key)")
    serve.add_argument("--max-tenants", type=_limit(f"{DEFAULT_MAX_TENANTS:,}"), default=None, metavar="N",
                       help=f"most API keys kept at once, 1 or more (default {DEFAULT_MAX_TENANTS})")
    serve.add_argument("--max-stored-bytes", type=_limit("2 GiB"), default=None, metavar="N",
                       help="file bytes one API key may store, 1 or more (default 2 GiB)")
    serve.add_argument("--webhook", action="append", default=[], metavar="URL",
                       help="POST a signed webhook event here when an object ends (every tenant; repeatable)")
    serve.add_argument("--webhook-secret", default=None, metavar="whsec_...",
                       help="the secret the --webhook events are signed with (required with --webhook)")
    serve.add_argument("--webhook-allow", action="append", default=[], metavar="HOST[,HOST...]",
                       help="hosts besides loopback that webhooks (--webhook and scenarios' webhooks:) may call")
    serve.add_argument("--tls", action="store_true",
                       help="serve https and wss with a local CA made at start; its certificate's path is printed "
                            "(point NODE_EXTRA_CA_CERTS or SSL_CERT_FILE at it)")
    serve.add_argument("--tls-dir", type=Path, default=None, metavar="DIR",
                       help="with --tls: write the CA and server certificates here (default: a temporary folder, "
                            "removed when the server stops)")

    validate = sub.add_parser(
        "validate", help="check scenario files",
        description="Check scenario files: prints 'PATH: ok' for each good file and 'PATH:LINE:COL: problem' "
                    "for each problem. Exits 1 if a file has a problem, a path is missing or a folder holds no "
                    "scenario files; else 0.")
    validate.add_argument("paths", nargs="+", metavar="PATH",
                          help="a scenario file, or a folder (every *.yaml and *.yml file in it, subfolders too)")

    scenarios = sub.add_parser(
        "scenarios", help="list the built-in scenarios, or print one",
        description="List the built-in scenarios (and those in --scenario-dir folders) with their descriptions, "
                    "or print one scenario file with --show.")
    scenarios.add_argument("--scenario-dir", action="append", default=[], metavar="DIR",
                           help="also list (and look up --show names in) this folder (repeatable)")
    scenarios.add_argument("--show", metavar="NAME",
                           help="print this scenario's file as it is, comments included (a built-in name, a name "
                                "in a --scenario-dir folder, or a path); copy it to start your own")

    schema = sub.add_parser(
        "schema", help="print the JSON Schema of scenario files (for editors)",
        description="Print the JSON Schema of the scenario format, for editor completion and checks: "
                    "'fakeopenai schema > scenario.schema.json', then start a scenario file with "
                    "'# yaml-language-server: $schema=./scenario.schema.json'.")
    schema.add_argument("--path", action="store_true", help="print the installed schema file's path instead")
    record = sub.add_parser(
        "record", help="record a client's traffic to an OpenAI-compatible server into a scenario",
        description="A recording proxy: point the client at it (it prints its base URL), and it forwards every "
                    "request to --upstream, streams included. On SIGINT/SIGTERM or POST /_fake/record/stop it "
                    "writes a scenario that replays what was seen (ids and times left to the fake; no secrets).")
    record.add_argument("--upstream", required=True, type=_not_empty("the upstream URL"), metavar="URL",
                        help="the server to forward to, with its /v1 (e.g. https://api.openai.com/v1)")
    record.add_argument("--out", required=True, type=_not_empty("the output file"), metavar="FILE.yaml",
                        help="the scenario file to write")
    _recording_options(record)
    record.add_argument("--host", type=_not_empty("the address"), default="127.0.0.1",
                        help="address to bind (default 127.0.0.1)")
    record.add_argument("--port", type=_port, default=0, help="port (default 0: a free one, printed)")
    record.add_argument("--upstream-key-env", default=None, metavar="NAME",
                        help="send the key in this environment variable upstream instead of the client's")

    cassette = sub.add_parser(
        "import-cassette", help="convert a vcrpy / pytest-recording cassette of OpenAI traffic into a scenario",
        description="Read a vcrpy (pytest-recording) YAML cassette and write the scenario that replays it, as "
                    "'fakeopenai record' would have.")
    cassette.add_argument("cassette", metavar="FILE", help="the cassette (YAML)")
    cassette.add_argument("--out", required=True, type=_not_empty("the output file"), metavar="FILE.yaml",
                          help="the scenario file to write")
    _recording_options(cassette)
    return parser


def _recording_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--expect-outputs", action="store_true",
                        help="tool_calls steps check the tool outputs the client sent (expect_outputs)")
    parser.add_argument("--embeddings", choices=["scripted", "generated"], default="scripted",
                        help="scripted: the recorded vectors (default); generated: left to the fake's generator")


def _convert_options(args: argparse.Namespace) -> ConvertOptions:
    from fakeopenai.record import ConvertOptions

    return ConvertOptions(expect_outputs=args.expect_outputs, embeddings=args.embeddings,
                          name=Path(args.out).stem)


def record(args: argparse.Namespace) -> int:
    from fakeopenai.doors.server import listen_socket
    from fakeopenai.record.proxy import Recorder, key_from_env, run

    recorder = Recorder(args.upstream, Path(args.out), _convert_options(args),
                        upstream_key=key_from_env(args.upstream_key_env))
    return run(recorder, listen_socket(args.host, args.port), args.host)


def import_cassette(args: argparse.Namespace) -> int:
    from fakeopenai.record import recording, scenario_yaml, write_recording
    from fakeopenai.record.cassette import read_cassette

    try:
        exchanges = read_cassette(Path(args.cassette))
    except (OSError, ValueError) as exc:
        print(f"fakeopenai import-cassette: {args.cassette}: {exc}", file=sys.stderr)
        return 1
    recorded = recording(exchanges, _convert_options(args))
    text = scenario_yaml(recorded.scenario, f"Imported by fakeopenai import-cassette from {Path(args.cassette).name}.")
    write_recording(Path(args.out), text, recorded.media)
    print(f"{args.out}: {len(exchanges)} interactions")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except BrokenPipeError:
        # `fakeopenai scenarios | head`: the reader left; stop quietly, as Unix tools do (and keep
        # Python from complaining again when it flushes stdout at exit).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _run(args: argparse.Namespace) -> int:
    if args.command == "serve":
        return serve(args)
    if args.command == "validate":
        return validate(args.paths)
    if args.command == "record":
        return record(args)
    if args.command == "import-cassette":
        return import_cassette(args)
    if args.command == "schema":
        return print_schema(path_only=args.path)
    if args.show is not None:
        return show_scenario(args.show, args.scenario_dir)
    return list_scenarios(args.scenario_dir)


SCENARIO_SUFFIXES = (".yaml", ".yml")


def validate(paths: Sequence[str]) -> int:
    """Check each file, and each *.yaml / *.yml file under each folder; 1 if anything is wrong."""
    from fakeopenai.scenario.loader import ScenarioError, load_scenario

    checked = bad = missing = empty = 0
    seen: set[Path] = set()
    for name in paths:
        path = Path(name)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.suffix in SCENARIO_SUFFIXES and p.is_file())
            if not files:
                empty += 1
                print(f"{name}: no scenario files (*.yaml, *.yml) in this folder or its subfolders")
                continue
        elif path.exists():
            files = [path]
        else:
            missing += 1
            print(f"{name}: no such file or folder")
            continue
        for file in files:
            if file.resolve() in seen:
                continue
            seen.add(file.resolve())
            checked += 1
            try:
                load_scenario(file)
            except ScenarioError as exc:
                bad += 1
                for problem in exc.problems:
                    print(problem)
            else:
                print(f"{file}: ok")
    if checked + missing + empty > 1:
        summary = f"{checked} file{'' if checked == 1 else 's'} checked, "
        summary += f"{bad} with errors" if bad else "all valid"
        if missing:
            summary += f"; {missing} path{'' if missing == 1 else 's'} not found"
        if empty:
            summary += f"; {empty} folder{'' if empty == 1 else 's'} without scenario files"
        print(summary)
    return 1 if bad or missing or empty else 0


def show_scenario(name: str, scenario_dirs: Sequence[str] = ()) -> int:
    """Print a scenario's file byte for byte: a built-in, a name in ``scenario_dirs``, or a path
    (anything with a / or a .yaml / .yml suffix)."""
    from fakeopenai.scenario.loader import builtin_names, did_you_mean, find_named, missing_file_hint

    is_path = name.endswith(SCENARIO_SUFFIXES) or "/" in name or os.sep in name
    path = Path(name) if is_path else find_named(name, scenario_dirs)
    if path is not None and path.is_file():
        _write_exact(path.read_bytes())
        return 0
    if path is not None and path.is_dir():
        message = (f"{name!r} is a folder, not a scenario file; give the path of one file in it, or "
                   f"--scenario-dir {name} and the scenario's name")
    elif path is not None:
        hint = missing_file_hint(name, scenario_dirs)
        message = f"no such scenario file: {name!r}" + (
            f".{hint}" if hint else "; check the path, or give a built-in scenario's name")
    else:
        builtins = builtin_names()
        local = sorted({p.stem for d in scenario_dirs for s in SCENARIO_SUFFIXES for p in Path(d).glob(f"*{s}")})
        message = f"unknown scenario {name!r}{did_you_mean(name, builtins + local)}\n"
        message += f"Built-in scenarios: {', '.join(builtins)}\n"
        if local:
            message += f"In {', '.join(scenario_dirs)}: {', '.join(local)}\n"
        for folder in scenario_dirs:
            if not Path(folder).is_dir():
                message += f"--scenario-dir {folder}: no such folder\n"
        message += "Give one of these names or the path of a scenario file; 'fakeopenai scenarios' describes each."
    print(f"fakeopenai: {message}", file=sys.stderr)
    return 2


def print_schema(*, path_only: bool = False) -> int:
    """The shipped JSON Schema of scenario files (or, with ``path_only``, where it is installed)."""
    from importlib import resources

    schema = resources.files("fakeopenai.scenario").joinpath("scenario.schema.json")
    if path_only:
        print(Path(str(schema)).resolve())
    else:
        _write_exact(schema.read_bytes())
    return 0


def _write_exact(data: bytes) -> None:
    """Write bytes to stdout unchanged (no newline translation, no re-encoding)."""
    sys.stdout.flush()
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:  # a text-only stream (some embedding): the text is the best it can take
        sys.stdout.write(data.decode("utf-8"))
    else:
        buffer.write(data)
        buffer.flush()


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


GC_THRESHOLD = 20_000   # `fakeopenai serve`'s young-generation threshold (allocations between passes)


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from fakeopenai.doors.server import listen_socket, loop_factory, uvicorn_config
    from fakeopenai.http.app import create_app
    from fakeopenai.scenario.loader import ScenarioError, shadowed_builtins

    level = getattr(logging, args.log_level.upper())
    # Other libraries (asyncio, uvicorn) stay at warning: --log-level debug is about the fake.
    logging.basicConfig(level=max(level, logging.WARNING), format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)
    logging.getLogger("fakeopenai").setLevel(level)
    seed: int | str | None = args.seed
    if isinstance(seed, str) and seed.lstrip("-").isdigit():
        seed = int(seed)
    allow = [host.strip() for given in args.webhook_allow for host in given.split(",") if host.strip()]
    webhooks = [{"url": url, "secret": args.webhook_secret} for url in args.webhook]
    problem = ("--webhook needs --webhook-secret whsec_... (what the receiver verifies with)"
               if webhooks and args.webhook_secret is None else None)
    if problem is None:
        from fakeopenai.families.webhooks.targets import server_problems

        problem = "; ".join(server_problems({"webhooks": webhooks, "webhook_allow": allow})) or None
    if problem is not None:
        print(f"fakeopenai: {problem}", file=sys.stderr)
        return 2
    try:
        app = create_app(args.scenario, seed=seed, compat=args.compat, scenario_dirs=args.scenario_dir,
                         control=not args.no_control, api_keys=args.api_key, max_tenants=args.max_tenants,
                         max_stored_bytes=args.max_stored_bytes, unknown_ids=args.unknown_ids,
                         webhooks=webhooks, webhook_allow=allow)
    except ScenarioError as exc:
        print(f"fakeopenai: cannot load the scenario:\n{exc}", file=sys.stderr)
        return 2
    for path in shadowed_builtins(args.scenario_dir):
        logging.getLogger("fakeopenai").warning(
            "--scenario-dir: %s is never used by name: the built-in scenario %r has that name, and built-ins are "
            "looked up first. Rename the file, or load it by its path.", path, path.stem)
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
    # What exists now (modules, the app, the loaded spec) lives as long as the server: the garbage
    # collector's full passes skip it, so none holds the event loop for tens of milliseconds.
    gc.collect()
    gc.freeze()
    # Each request leaves hundreds of objects tracked by the collector (its log entry, the objects it made,
    # their timeline); at the default threshold (700) a young-generation pass ran every few requests.
    gc.set_threshold(GC_THRESHOLD, 20, 20)
    tls = None
    if args.tls:
        from fakeopenai.doors.tls import make_tls

        folder = args.tls_dir or Path(tempfile.mkdtemp(prefix="fakeopenai-tls-"))
        tls = make_tls(folder, args.host)
        if args.tls_dir is None:
            atexit.register(shutil.rmtree, folder, ignore_errors=True)
        print(f"fakeopenai CA certificate: {tls.ca}", flush=True)
    config = uvicorn_config(app, tls=tls)
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
            print(f"fakeopenai serving on {'https' if tls else 'http'}://{host}:{port}/v1", flush=True)
            logging.getLogger("fakeopenai").info("default scenario %r (%s); control API %s", scenario.name,
                                                 scenario.source, "off" if args.no_control else "at /_fake")
        await task

    try:
        with asyncio.Runner(loop_factory=loop_factory()) as runner:
            runner.run(run())
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
