"""The ``voice-conformance`` command. Sub-commands are added to the :func:`main` click group.

Every command's ``--help`` ends with an example. Heavy modules (pytest runs, the audio stack,
simulators) load inside the command that needs them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from conformance.cassettes.recorder import RECORD_MODES  # light: vcrpy loads only to record

DEFAULT_REPORT = "reports/conformance.html"
DEFAULT_COMPARE_REPORT = "reports/compare.html"


class InputError(click.ClickException):
    """Bad input (an option's value, the configuration file): exit code 2, like click's usage errors."""

    exit_code = 2


class _Group(click.Group):
    """The command group: a missing optional extra, or a broken provider package, is one line naming it
    (exit 2), not a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        from conformance.secrets import masked_output

        try:
            with masked_output():  # whatever a command prints: every known secret masked, in every form
                return super().invoke(ctx)
        except click.ClickException as exc:  # shown by click after this returns: masked here
            from conformance.secrets import mask

            exc.message = mask(exc.message)
            raise
        except ModuleNotFoundError as exc:
            from conformance.extras import explain

            message = explain(exc)
            if message is None:
                raise
            raise InputError(message) from None
        except Exception as exc:
            from conformance.registry import ProviderLoadError

            if isinstance(exc, ProviderLoadError):  # an installed provider package that cannot be used
                raise InputError(str(exc)) from None
            raise


@click.group(cls=_Group)
@click.version_option(package_name="voice-conformance")
@click.option("--config", "config_path", default=None, type=click.Path(dir_okay=False), metavar="PATH",
              help="Configuration file (default: voice-conformance.toml, or [tool.voice-conformance] in "
                   "pyproject.toml, found from the working directory up).")
@click.pass_context
def main(ctx: click.Context, config_path: str | None) -> None:
    """Conformance and test-harness kit for voice-cloning APIs.

    \b
    Examples:
      voice-conformance run -n 2                 # the suite on the simulators, HTML report
      voice-conformance compare --providers {p},{q}
      voice-conformance --config ci.toml run --shard 1/3
    """
    ctx.obj = {"config_path": config_path}


def _config(ctx: click.Context) -> Any:
    """The configuration file's settings (``--config``, else found from the working directory)."""
    from conformance.config import ConfigError, load_config

    obj = ctx.find_root().obj or {}
    if "config" not in obj:
        try:
            obj["config"] = load_config(obj.get("config_path"))
        except ConfigError as exc:
            raise InputError(f"configuration: {exc}") from None
        from conformance.secrets import register

        register(*obj["config"].secret_values())  # masked in everything the command writes or prints
    return obj["config"]


def _providers(value: tuple[str, ...], default: Any = None) -> list[str]:
    from conformance.spec import providers

    names = [p.strip() for v in value for p in v.split(",") if p.strip()]
    known = list(providers())
    for n in names:
        if n not in known:
            raise click.BadParameter(f"unknown provider {n!r}; known: {', '.join(known)}", param_hint="--providers")
    return list(dict.fromkeys(names)) or list(default or known)


def _target(value: str | None, cfg: Any) -> Any:
    from conformance.target import parse_target

    try:
        target = parse_target(value or cfg.target or "simulator")
    except ValueError as exc:
        raise click.BadParameter(str(exc).removeprefix("--conformance-target: "), param_hint="--target") from None
    target.base_urls = dict(cfg.base_urls)
    return target


def _masker(cfg: Any) -> Any:
    """Masks API keys and the configured secrets in text printed from test failures."""
    from conformance.report.records import mask_excerpt
    from conformance.secrets import env_secrets

    secrets = [*env_secrets(), *cfg.secret_values()]
    return lambda text: mask_excerpt(text, secrets)


def _echo(text: str, nl: bool = True) -> None:
    click.echo(text, nl=nl)


@main.command()
@click.option("--providers", "providers", multiple=True, metavar="IDS",
              help="Providers to simulate, comma-separated or repeated (default: all).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind (loopback by default).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="Port to bind; 0 picks a free one.")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of the simulated audio and ids.")
@click.option("--key", "keys", multiple=True, metavar="KEY",
              help="Accept only these API keys (repeat); default: any non-empty key.")
@click.option("--reject-key", "rejected", multiple=True, metavar="KEY", help="Answer this key with the auth error.")
@click.option("--job-polls", default=None, type=click.IntRange(0),
              help="Queued jobs finish after this many fetches answered `processing` (0: at once), "
                   "instead of on their clock (with --job-seconds: whichever comes first).")
@click.option("--job-seconds", default=None, type=click.FloatRange(0),
              help="Queued jobs finish after this long (default: their own eta, scaled down).")
@click.option("--http200-errors", is_flag=True, help="Send errors documented as arriving with HTTP 200 that way.")
@click.option("--fetch-urls", is_flag=True,
              help="Download audio URLs it does not host, as the providers do; `run --target url=` serves the "
                   "suite's audio from this machine for it. Else see --unknown-urls.")
@click.option("--unknown-urls", type=click.Choice(["speaker", "error"]), default=None,
              help="An audio URL it neither hosts nor fetches reads as a stand-in speaker (speaker), or is "
                   "answered with the provider's could-not-fetch error (error); default: as each provider is "
                   "documented to answer an unreachable URL.")
@click.option("--log-level", default="warning", show_default=True,
              type=click.Choice(["critical", "error", "warning", "info", "debug"]))
def serve(providers: tuple[str, ...], host: str, port: int, seed: int, keys: tuple[str, ...],
          rejected: tuple[str, ...], job_polls: int | None, job_seconds: float | None, http200_errors: bool,
          fetch_urls: bool, unknown_urls: str | None, log_level: str) -> None:
    """Serve the provider simulators over HTTP, on the providers' own paths.

    Point a client's base URL at the printed address; stop with Ctrl-C (SIGINT) or SIGTERM.

    \b
    Example:
      voice-conformance serve --providers {p} --port 8750 --fetch-urls
      voice-conformance run --target url=http://127.0.0.1:8750 --providers {p}
    """
    from conformance.simulators import Simulator
    from conformance.simulators.server import run

    ids = _providers(providers)
    sim = Simulator(*ids, seed=seed, keys=list(keys) or None, job_polls=job_polls, job_seconds=job_seconds,
                    http200_errors=http200_errors, fetch_urls=fetch_urls, unknown_urls=unknown_urls)
    if rejected:
        sim.reject_key(*rejected)
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"warning: binding {host}: the simulator is reachable from other machines", err=True)

    def ready(base: str) -> None:
        click.echo(f"voice-conformance simulator on {base} (seed {seed}); Ctrl-C stops it")
        width = max(len(i) for i in ids)
        for pid in ids:
            click.echo(f"  {pid:<{width}}  {base}")
        click.echo(f"  {'files':<{width}}  {sim.files_base}/")

    try:
        run(sim, host, port, on_ready=ready, log_level=log_level)
    except OSError as exc:
        raise click.ClickException(f"cannot serve on {host}:{port}: {exc}") from None
    click.echo("voice-conformance simulator stopped")


@main.command("spec")
@click.option("--providers", "providers", multiple=True, metavar="IDS",
              help="Only these providers (comma-separated or repeated); default: all.")
@click.option("--fidelity", "ledger", is_flag=True,
              help="Print the fidelity ledger instead: per provider, what is documented, observed live, "
                   "taken from an official SDK or assumed.")
def spec_command(providers: tuple[str, ...], ledger: bool) -> None:
    """Print every documented rule the kit checks, with the document it comes from.

    \b
    Example:
      voice-conformance spec --providers {p}
      voice-conformance spec --fidelity
    """
    from conformance.spec.describe import describe, fidelity

    click.echo(fidelity(_providers(providers)) if ledger else describe(_providers(providers)))


@main.command("sdk-matrix", context_settings={"max_content_width": 110})
@click.option("--providers", "providers", multiple=True, metavar="IDS",
              help="Only these providers' SDKs (comma-separated or repeated); default: all.")
@click.option("--sdk", "versions", multiple=True, metavar="PACKAGE[==VERSION]",
              help="Only this SDK, or one release of it (repeatable); default: every release the kit lists.")
@click.option("--transport", "transports", multiple=True, type=click.Choice(["in-process", "serve"]),
              help="Only this transport (repeatable); default: both.")
@click.option("--sdk-dir", default=None, type=click.Path(file_okay=False), metavar="DIR",
              help="Where SDK releases are installed, one directory each (default: $VOICE_CONFORMANCE_SDK_DIR, "
                   "else the user cache directory).")
@click.option("--report", "report", default=None, metavar="PATH",
              help="Also write an HTML report of the table (its .jsonl beside it).")
@click.option("--install-only", "install_only", is_flag=True,
              help="Only install the selected releases into the SDK directory (to provision a machine once); "
                   "exit code 1 when one fails to install.")
def sdk_matrix_command(providers: tuple[str, ...], versions: tuple[str, ...], transports: tuple[str, ...],
                       sdk_dir: str | None, report: str | None, install_only: bool) -> None:
    """Drive the providers' official SDKs against the simulators and print what works.

    Each SDK release is installed on its own (pip --target, into the SDK cache, reused once there) and
    driven in its own process: in-process (the simulator mounted on the provider's hosts) and over the
    loopback server, happy paths and the SDK's own error types. Exit code 1 when a row fails.

    \b
    Examples:
      voice-conformance sdk-matrix
      voice-conformance sdk-matrix --providers {p} --transport serve
      voice-conformance sdk-matrix --install-only --sdk-dir .cache/sdks
    """
    from conformance import sdkmatrix

    chosen = _providers(providers)
    unknown = sdkmatrix.unknown_selectors(versions, chosen)
    if unknown:
        listed = ", ".join(f"{e.package}=={e.version}" for e in sdkmatrix.entries(chosen)) or "none"
        raise click.BadParameter(f"{', '.join(unknown)}: not an SDK release the kit lists ({listed})",
                                 param_hint="--sdk")
    if install_only:
        if report:
            raise click.BadParameter("--install-only drives nothing, so it writes no report", param_hint="--report")
        try:
            done = sdkmatrix.install_all(chosen, sdk_dir, list(versions) or None, log=click.echo)
        except OSError as e:
            raise click.BadParameter(f"cannot install into {e.filename or sdk_dir}: {e.strerror or e}",
                                     param_hint="--sdk-dir") from None
        failed = [e.sdk.requirement for e, inst in done if inst.path is None]  # type: ignore[union-attr]
        click.echo(f"{len(done) - len(failed)} of {len(done)} SDK releases installed"
                   + (f"; failed: {', '.join(failed)}" if failed else ""))
        sys.exit(1 if failed else 0)
    _require_extras("simulator", None)
    if "serve" in (transports or sdkmatrix.TRANSPORTS):
        from conformance.extras import require

        require("uvicorn")
    rows = sdkmatrix.run_matrix(chosen, sdk_dir, tuple(transports) or sdkmatrix.TRANSPORTS,
                                list(versions) or None, log=lambda m: click.echo(m, err=True))
    click.echo(sdkmatrix.format_table(rows))
    if report:
        from conformance.report.records import RecordWriter
        from conformance.report.render import write_report

        html = Path(report).expanduser()
        jsonl = html.with_suffix(".jsonl")
        jsonl.parent.mkdir(parents=True, exist_ok=True)
        jsonl.unlink(missing_ok=True)
        RecordWriter(jsonl).write(sdkmatrix.report_line(rows))
        click.echo(f"report: {write_report([jsonl], html)} (results: {jsonl})")
    sys.exit(1 if any(r.failed for r in rows) else 0)


@main.group("report")
def report_group() -> None:
    """Conformance reports: merge JSON Lines results and render the HTML.

    \b
    Example:
      voice-conformance report merge shard-1/conformance.jsonl shard-2/conformance.jsonl
    """


@report_group.command("merge")
@click.argument("shards", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", "output", default="reports/conformance.html", show_default=True,
              type=click.Path(dir_okay=False), help="The HTML report; the merged results go beside it (.jsonl).")
def report_merge(shards: tuple[str, ...], output: str) -> None:
    """Merge results files (JSON Lines) of separate runs, shards or CI jobs into one report.

    Each run's results are the ``.jsonl`` file written beside its HTML report.

    \b
    Example:
      voice-conformance report merge job1/conformance.jsonl job2/conformance.jsonl -o out.html
    """
    from pathlib import Path

    from conformance.report.records import merge_files
    from conformance.report.render import write_report

    html = Path(output)
    jsonl = html.with_suffix(".jsonl")
    try:
        n = merge_files(shards, jsonl)
    except (ValueError, OSError) as exc:  # a shard that is not a results file: bad input, one line naming it
        raise InputError(str(exc)) from None
    write_report([jsonl], html)
    click.echo(f"merged {n} lines from {len(shards)} file(s): {html} (results: {jsonl})")



@main.command("record")
@click.option("--out", "out", default="cassettes/suite", show_default=True, type=click.Path(file_okay=False),
              help="Folder the suite's cassettes are written to.")
@click.option("--mode", default="rewrite", show_default=True,
              type=click.Choice(["once", "new_episodes", "all", "rewrite"]), help="vcrpy record mode.")
@click.option("--request-bodies", default="digest", show_default=True, type=click.Choice(["full", "digest"]),
              help="Keep request bodies as sidecars (full) or only their fingerprints (digest).")
@click.option("-k", "keyword", default=None, help="Only the suite tests matching this pytest -k expression.")
@click.option("--examples", "examples", is_flag=True,
              help="Instead, build the cassettes of the providers' published examples (and INDEX.md) "
                   "in --out (default there: cassettes/examples).")
def record_command(out: str, mode: str, request_bodies: str, keyword: str | None, examples: bool) -> None:
    """Record the conformance suite's cassettes from the loopback simulator over real HTTP.

    Recorded URLs are the providers' own hosts; every key is scrubbed; bodies over a few KB
    are sidecar files named by SHA-256. Re-record (and commit) after changing the suite or its
    strategies: replay matches the requests they generate. To record a live provider instead, use
    `voice-conformance run --target live --record-mode rewrite --cassette-dir DIR`.

    \b
    Examples:
      voice-conformance record --out cassettes/suite -k {p}
      voice-conformance record --examples --out cassettes/examples
    """
    from pathlib import Path

    if examples:
        from conformance.cassettes.examples import INDEX, build
        from conformance.cassettes.store import CassetteError

        target = Path("cassettes/examples" if out == "cassettes/suite" else out)
        try:
            written = build(target)
        except CassetteError as exc:  # a cassette already in --out that cannot be read (pruning reads them)
            raise InputError(str(exc)) from None
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"{len(written)} example cassettes and {INDEX} written to {target}")
        return

    from conformance.cassettes.record import record_suite
    from conformance.cassettes.store import CassetteError

    try:
        if mode in ("once", "new_episodes") and Path(out).is_dir():  # these modes read the cassettes there
            from conformance.cassettes.store import check_folder

            check_folder(Path(out))
        code = record_suite(Path(out), mode=mode, request_bodies=request_bodies,
                            pytest_args=["-k", keyword] if keyword else [])
    except CassetteError as exc:  # a cassette in --out that cannot be read (pruning reads them all)
        raise InputError(str(exc)) from None
    if code:
        raise click.ClickException(f"recording finished with pytest exit code {code}")
    click.echo(f"cassettes written to {out}")


@main.command("drift")
@click.argument("old", type=click.Path(exists=True))
@click.argument("new", required=False, type=click.Path(exists=True))
@click.option("--spec", "spec_mode", is_flag=True, help="Compare the recordings in OLD with the spec.")
@click.option("--format", "fmt", default="text", show_default=True, type=click.Choice(["text", "json"]))
def drift_command(old: str, new: str | None, spec_mode: bool, fmt: str) -> None:
    """What changed between two cassette folders (OLD NEW), or a recording and the spec (--spec CASSETTES).

    Exit code 1 when a change is breaking; 2 when a folder holds no recorded exchange to compare.

    \b
    Examples:
      voice-conformance drift cassettes/live-before cassettes/live
      voice-conformance drift --spec cassettes/live --format json
    """
    from conformance.cassettes.drift import NothingToCompare, drift_folders, drift_spec
    from conformance.cassettes.store import CassetteError

    if spec_mode == (new is not None):
        raise click.UsageError("give OLD NEW, or --spec CASSETTES")
    try:
        report = drift_spec(old) if spec_mode else drift_folders(old, new)  # type: ignore[arg-type]
    except (NothingToCompare, CassetteError) as exc:  # bad input, not "no change" nor "breaking" (exit 1)
        click.echo(f"Error: {exc}", err=True)
        raise SystemExit(2) from None
    click.echo(report.to_json() if fmt == "json" else report.to_text())
    raise SystemExit(report.exit_code())


# ---------------------------------------------------------------------------------------------
# run
# ---------------------------------------------------------------------------------------------



@main.command("run", context_settings={"max_content_width": 110})
@click.option("--target", default=None, metavar="TARGET",
              help="simulator (offline), cassette (replay), live (keys from the environment) or url=BASE; "
                   "default: the configuration's, else simulator.")
@click.option("--providers", "providers", multiple=True, metavar="IDS",
              help="Providers to check, comma-separated or repeated; default: the configuration's, else all.")
@click.option("-n", "--workers", type=click.IntRange(0), default=None, metavar="N",
              help="pytest-xdist worker processes (0: run in this process); default: the configuration's, else 0.")
@click.option("--report", "report", default=None, metavar="PATH",
              help=f"The HTML report, with its .jsonl results beside it ('' for none); "
                   f"default: the configuration's, else {DEFAULT_REPORT}.")
@click.option("--shard", default=None, metavar="I/N", help="Run only shard I of N (a stable split, for CI jobs).")
@click.option("-k", "keyword", default=None, metavar="EXPR", help="Only the tests matching this pytest -k expression.")
@click.option("--seed", type=int, default=None, help="Seed of the simulators (default: the configuration's, else 0).")
@click.option("--threshold", "thresholds", multiple=True, metavar="NAME=VALUE",
              help="Override an audio check threshold, e.g. mos_floor=2.5 (repeatable).")
@click.option("--inject", "faults", multiple=True, metavar="FAULT[@ENDPOINT]",
              help="Inject a simulator fault for the whole run, e.g. silent_audio@PROVIDER.ENDPOINT (repeatable).")
@click.option("--record-mode", type=click.Choice(RECORD_MODES), default=None,
              help="Record cassettes while checking a live or url= target (e.g. rewrite, for a nightly re-record).")
@click.option("--cassette-dir", default=None, type=click.Path(file_okay=False),
              help="Where cassettes are recorded or replayed (default: cassettes/suite).")
@click.option("--cassette-max-age", default=None, metavar="AGE",
              help="Cassettes recorded longer ago than AGE (e.g. 30d, 12h) are stale (see --cassette-stale).")
@click.option("--cassette-stale", type=click.Choice(["warn", "fail"]), default=None,
              help="What a stale cassette does: warn (default) or fail its test.")
@click.option("--drift-against-spec", is_flag=True,
              help="Add the API drift of the cassettes against the spec to the report (done anyway when the run "
                   "replays or records cassettes).")
@click.option("--sdk-matrix", "sdk_matrix", is_flag=True,
              help="Also drive the providers' official SDKs against the simulators and add the SDK "
                   "compatibility table to the report (installs each SDK release in the SDK cache).")
@click.option("-v", "--verbose", is_flag=True, help="Show pytest's own output (every test, tracebacks) too.")
@click.argument("pytest_args", nargs=-1, type=click.UNPROCESSED, metavar="[-- PYTEST_ARGS]...")
@click.pass_context
def run_command(ctx: click.Context, target: str | None, providers: tuple[str, ...], workers: int | None,
                report: str | None, shard: str | None, keyword: str | None, seed: int | None,
                thresholds: tuple[str, ...], faults: tuple[str, ...], record_mode: str | None,
                cassette_dir: str | None, cassette_max_age: str | None, cassette_stale: str | None,
                drift_against_spec: bool, sdk_matrix: bool, verbose: bool, pytest_args: tuple[str, ...]) -> None:
    """Run the conformance suite on a target, with live progress per provider and endpoint.

    Ends with a summary table and writes the HTML report. Exit code 0 only when every selected
    check passed (none failed, none errored, at least one ran); 1 when a check failed or errored,
    or none ran; 2 on bad input (options, pytest arguments). Arguments after `--` go to pytest
    unchanged.

    \b
    Examples:
      voice-conformance run -n 2
      voice-conformance run --providers {p} --report out/{p}.html
      voice-conformance run --target live --providers {q} -k ENDPOINT
      voice-conformance run --shard 2/3 --report reports/shard-2/conformance.html
    """
    import importlib.util

    from conformance.config import parse_threshold_flags
    from conformance.target import parse_shard

    cfg = _config(ctx)
    tgt = _target(target, cfg)
    chosen = _providers(providers, cfg.providers)
    try:
        shard_value = parse_shard(shard)
    except ValueError as exc:
        raise click.BadParameter(str(exc).removeprefix("--shard "), param_hint="--shard") from None
    try:
        parse_threshold_flags(thresholds)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--threshold") from None
    _check_faults(faults, tgt, chosen)
    if cassette_max_age is not None:
        from conformance.cassettes.plugin import parse_age

        try:
            parse_age(cassette_max_age)
        except ValueError as exc:
            raise click.BadParameter(str(exc).removeprefix("--cassette-max-age: "),
                                     param_hint="--cassette-max-age") from None
    _require_extras(tgt.kind, record_mode)
    if record_mode and record_mode != "none" and tgt.kind not in ("live", "url"):
        raise click.BadParameter(f"{record_mode}: recording needs a live or url=BASE target, not {tgt.kind}",
                                 param_hint="--record-mode")
    n = workers if workers is not None else (cfg.workers or 0)
    if n and importlib.util.find_spec("xdist") is None:
        from conformance.extras import install_hint

        raise click.BadParameter(f"{n} workers need pytest-xdist: {install_hint('parallel')} (or -n 0)",
                                 param_hint="-n")
    # --report is a path from here; the configuration's (or the default) is resolved by the plugin
    # against the rootdir, like any pytest run's
    if report is not None:
        report_path = str(Path(report).expanduser().absolute()) if report else ""
    else:
        report_path = cfg.report if cfg.report is not None else DEFAULT_REPORT

    # the run writes only its report: no pytest cache in the user's folder. The suite's assertions
    # carry their own messages, so pytest's assertion rewriting adds nothing to them; it would rewrite
    # every module of every plugin's package (hypothesis, anyio, respx…) in each process, and again on
    # every run where bytecode is not written (PYTHONDONTWRITEBYTECODE, a read-only venv): 1.5 s each
    args = ["-p", "no:cacheprovider", "--assert=plain", "--pyargs", "conformance.suite", f"--conformance-target={tgt.describe() if tgt.kind == 'url' else tgt.kind}",
            f"--conformance-providers={','.join(chosen)}", f"--conformance-report={report_path}"]
    root = ctx.find_root().obj or {}
    if root.get("config_path"):
        args.append(f"--conformance-config={root['config_path']}")
    if seed is not None:
        args.append(f"--conformance-seed={seed}")
    args += [f"--conformance-threshold={t}" for t in thresholds]
    args += [f"--conformance-inject={f}" for f in faults]
    if n:
        args += ["-n", str(n)]
    if shard:
        args.append(f"--shard={shard}")
    if keyword:
        args += ["-k", keyword]
    if record_mode:
        args.append(f"--record-mode={record_mode}")
    if cassette_dir:  # a path from here, like --report
        args.append(f"--cassette-dir={Path(cassette_dir).expanduser().absolute()}")
    if cassette_max_age is not None:
        args.append(f"--cassette-max-age={cassette_max_age}")
    if cassette_stale is not None:
        args.append(f"--cassette-stale={cassette_stale}")
    if drift_against_spec:
        args.append("--drift-against-spec")
    if sdk_matrix:
        if report_path == "":
            raise click.BadParameter("the SDK matrix is a section of the report: give --report PATH (or use "
                                     "`voice-conformance sdk-matrix`)", param_hint="--sdk-matrix")
        _require_extras("simulator", None)
        from conformance.extras import require

        require("uvicorn")
        args.append("--conformance-sdk-matrix")
    if verbose:
        args += ["-rfE", "--tb=short"]
    args += list(pytest_args)

    parts = [tgt.describe(), "providers " + ",".join(chosen), f"{n} workers" if n else "in-process"]
    if shard_value:
        parts.append(f"shard {shard_value[0]}/{shard_value[1]}")
    parts.append(f"config {cfg.path}" if cfg.path else "no config file")
    click.echo("voice-conformance run: " + " · ".join(parts))


    from conformance.cassettes.plugin import refused
    from conformance.console import Progress

    progress = Progress(_echo, live=not verbose, tty=sys.stdout.isatty(), mask=_masker(cfg))
    refused.clear()  # a cassette the run refuses (one line by pytest, exit code 2)
    code = _pytest_writing_only_the_report(args, progress)
    click.echo("")
    if progress.groups:
        click.echo(progress.summary())
    if progress.failures:
        click.echo(f"\n{len(progress.failures)} failed or errored:")
        for f in progress.failures[:20]:
            click.echo(f"  {f.nodeid}: {f.message}")
        if len(progress.failures) > 20:
            click.echo(f"  … and {len(progress.failures) - 20} more (see the report)")
    if progress.skip_reasons:
        click.echo("\nskipped:")
        for reason, n in progress.skip_reasons.most_common(5):
            click.echo(f"  {n} × {reason}")
        if len(progress.skip_reasons) > 5:
            click.echo(f"  … and {len(progress.skip_reasons) - 5} more reasons (see the report)")
    if progress.report is not None:
        html = _shown_path(progress.report)
        click.echo(f"\nreport: {html} (results: {html.with_suffix('.jsonl')})")
    counts = progress.counts()
    if code == 0 and not progress.all_passed():
        click.echo("nothing passed: every selected check was skipped (reasons above)", err=True)
        code = 1
    elif code == 5:
        click.echo("no checks selected: see --providers, -k and --shard", err=True)
        code = 1
    elif code == 4:
        if not refused:  # a cassette refused before the run: pytest's one line names it, nothing to add
            click.echo("pytest refused its arguments (the message above): see `voice-conformance run --help`",
                       err=True)
        code = 2
    elif code in (2, 3):  # interrupted (e.g. a collection error) or pytest's own error: the run did not finish
        click.echo("the run did not finish (see the message above)", err=True)
        code = 1
    elif code == 0:
        click.echo(f"all {counts['passed']} checks passed" + (f" ({counts['skipped']} skipped)" if counts["skipped"]
                                                                else ""))
    ctx.exit(code)


def _pytest_writing_only_the_report(args: list[str], plugin: Any) -> int:
    """``pytest.main`` with hypothesis' working files (its constants cache) in a temporary folder, so
    that ``run`` leaves nothing in the user's folder but the report; ``HYPOTHESIS_STORAGE_DIRECTORY``,
    when set, is kept."""
    import tempfile

    import pytest

    if os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        return int(pytest.main(args, plugins=[plugin]))
    with tempfile.TemporaryDirectory(prefix="voice-conformance-") as home:
        os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = home  # xdist workers inherit it
        try:
            return int(pytest.main(args, plugins=[plugin]))
        finally:
            os.environ.pop("HYPOTHESIS_STORAGE_DIRECTORY", None)


# the extras a target cannot run without (a missing one is one line naming it, exit 2)
_TARGET_MODULES = {"simulator": ("numpy", "soundfile", "lameenc"), "cassette": ("vcr", "yaml")}


def _require_extras(kind: str, record_mode: str | None) -> None:
    from conformance.extras import require

    for module in _TARGET_MODULES.get(kind, ()) + (("vcr", "yaml") if record_mode not in (None, "none") else ()):
        require(module)


def _shown_path(path: Path) -> Path:
    """``path`` relative to the working directory when it lies below it."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def _check_faults(faults: tuple[str, ...], target: Any, providers: list[str] | tuple[str, ...] = ()) -> None:
    if not faults:
        return
    if target.kind != "simulator":
        raise click.BadParameter(f"faults are injected into the simulators; the target is {target.kind}",
                                 param_hint="--inject")
    from conformance import spec
    from conformance.simulators.faults import FAULTS

    ids = [e.id for e in spec.endpoints()]
    for f in faults:
        name, _, endpoint = f.partition("@")
        if name not in FAULTS:
            raise click.BadParameter(f"unknown fault {name!r}; known: {', '.join(FAULTS)}", param_hint="--inject")
        if endpoint and endpoint not in ids:
            raise click.BadParameter(f"unknown endpoint {endpoint!r}; known: {', '.join(ids)}",
                                     param_hint="--inject")
        owner = endpoint.split(".", 1)[0]
        if endpoint and providers and owner not in providers:
            raise click.BadParameter(f"{f}: {endpoint} is an endpoint of {owner}, which this run leaves out "
                                     f"(providers: {', '.join(providers)})", param_hint="--inject")


# ---------------------------------------------------------------------------------------------
# compare
# ---------------------------------------------------------------------------------------------


@main.command("compare", context_settings={"max_content_width": 110})
@click.option("--providers", "providers", multiple=True, metavar="IDS",
              help="Providers to compare (comma-separated or repeated); default: the configuration's, else all.")
@click.option("--endpoint", "endpoints", multiple=True, metavar="ID",
              help="Compare these endpoints instead of each provider's default (repeatable), e.g. "
                   "PROVIDER.ENDPOINT.")
@click.option("--target", default=None, metavar="TARGET",
              help="simulator, live or url=BASE; default: the configuration's, else simulator.")
@click.option("--text", default=None,
              help="One text every provider speaks, instead of a set (with the default reference voice unless given).")
@click.option("--reference", type=click.Path(dir_okay=False), default=None,
              help="WAV or MP3 of one voice to clone, instead of a set (default text: two sentences the fixtures say).")
@click.option("--source", type=click.Path(dir_okay=False), default=None,
              help="WAV or MP3 of someone saying the text, for voice changers (default: fixture speaker en_kal).")
@click.option("--reference-url", default=None, metavar="URL",
              help="The reference audio hosted where a live provider can fetch it (for endpoints that take the reference only as a URL).")
@click.option("--voice", "voices", multiple=True, metavar="PROVIDER=VOICE_ID",
              help="An existing voice cloned from the reference (a live voice changer converts into a voice id).")
@click.option("--set", "set_path", default=None, metavar="PATH",
              help="A manifest (or folder with manifest.json) of reference voices and texts; default: the fixtures' "
                   "set (5 voices of both sexes × 3 texts), or one voice × one text when --text or --reference is given.")
@click.option("--voices", "n_voices", type=click.IntRange(1, None), default=None, metavar="N",
              help="Only the set's first N voices.")
@click.option("--texts", "n_texts", type=click.IntRange(1, None), default=None, metavar="N",
              help="Only the set's first N texts.")
@click.option("--resume", is_flag=True,
              help="Keep the cells the measurements file (.measurements.jsonl beside -o) already holds, measured "
                   "from the same inputs and setup, and measure only the rest.")
@click.option("--merge", "merge", multiple=True, type=click.Path(dir_okay=False, exists=True), metavar="JSONL",
              help="Also count the cells of these measurements files (shards of the same comparison; repeatable).")
@click.option("--baseline", default=None, type=click.Path(dir_okay=False, exists=True), metavar="JSONL",
              help="A previous comparison's measurements (.measurements.jsonl): say which metrics moved "
                   "significantly since.")
@click.option("--export", "export", default=None, type=click.Path(dir_okay=False), metavar="PATH",
              help="Write the statistics table as CSV (.csv) or JSON (any other suffix).")
@click.option("--repeat", type=click.IntRange(1, 20), default=1, show_default=True,
              help="Requests per endpoint and cell (metrics averaged, latency the median).")
@click.option("--rank-by", default="overall", show_default=True,
              type=click.Choice(["overall", "speaker_similarity", "predicted_mos", "intelligibility", "latency"]),
              help="Rank by the mean rank over every metric, or by one metric.")
@click.option("--inject", "faults", multiple=True, metavar="FAULT[@ENDPOINT]",
              help="Simulator only: degrade a provider, e.g. wrong_speaker@PROVIDER.ENDPOINT.")
@click.option("--seed", type=int, default=None, help="Seed of the simulators (default: the configuration's, else 0).")
@click.option("-o", "--output", default=DEFAULT_COMPARE_REPORT, show_default=True, type=click.Path(dir_okay=False),
              help="The comparison report (HTML, with every output's audio); results (.jsonl) go beside it.")
@click.option("--format", "fmt", default="text", show_default=True, type=click.Choice(["text", "json"]),
              help="The ranked table as text, or the rows as JSON.")
@click.pass_context
def compare_command(ctx: click.Context, providers: tuple[str, ...], endpoints: tuple[str, ...], target: str | None,
                    text: str | None, reference: str | None, source: str | None, reference_url: str | None,
                    voices: tuple[str, ...], set_path: str | None, n_voices: int | None, n_texts: int | None,
                    resume: bool, merge: tuple[str, ...], baseline: str | None, export: str | None,
                    repeat: int, rank_by: str, faults: tuple[str, ...], seed: int | None,
                    output: str, fmt: str) -> None:
    """Send the same voices and texts through each provider, measure the outputs and compare them.

    Every reference voice × text of a set goes through each endpoint. Each output is measured for
    speaker similarity to its reference, predicted MOS (DNSMOS), intelligibility (1 − WER, English
    text) and latency. Per metric it prints each endpoint's mean with a 95 % bootstrap interval, a
    ranking that calls overlapping intervals a tie, and paired verdicts (Wilcoxon signed-rank on the
    same cells, with the probability that one is better). The HTML report has every output to listen
    to. Measurements stream to the .measurements.jsonl beside the report, so an interrupted run resumes
    (--resume) and shards merge (--merge). Exit code 1 when an output failed, none could be
    compared, or --baseline found a metric significantly worse.

    \b
    Examples:
      voice-conformance compare --providers {p},{q}
      voice-conformance compare --providers {p},{q} --voices 2 --texts 3 --baseline last-week.jsonl
      voice-conformance compare --endpoint PROVIDER.ENDPOINT --endpoint PROVIDER.ENDPOINT
      voice-conformance compare --target live --providers {p},{q} \\
          --reference me.wav --reference-url https://example.com/me.wav --text "Hello there, how are you?"
    """
    import json

    from conformance import compare as cmp

    cfg = _config(ctx)
    tgt = _target(target, cfg)
    cfg_seed = cfg.seed if cfg.seed is not None else 0
    tgt.seed = seed if seed is not None else cfg_seed
    chosen = _providers(providers, cfg.providers)
    _check_faults(faults, tgt)
    voice_map: dict[str, str] = {}
    for v in voices:
        pid, sep, vid = v.partition("=")
        if not sep or not vid.strip():
            raise click.BadParameter(f"{v!r}: use PROVIDER=VOICE_ID", param_hint="--voice")
        voice_map[_providers((pid,))[0]] = vid.strip()
    if reference_url is not None and not reference_url.startswith(("http://", "https://")):
        raise click.BadParameter(f"{reference_url!r} is not an http(s) URL", param_hint="--reference-url")
    if set_path is not None and (text is not None or reference is not None or source is not None):
        raise click.BadParameter("give either a set (--set) or one --text/--reference/--source", param_hint="--set")
    from conformance.secrets import mask

    results = cmp.measurements_path(output)
    secrets = cfg.secret_values()
    try:
        eps = cmp.resolve_endpoints(chosen, endpoints)
        if set_path is not None:
            pset = cmp.load_set(set_path)
        elif text is not None or reference is not None or source is not None:
            pset = cmp.single_set(cmp.fixture_inputs(text, reference=reference, source=source,
                                                     reference_url=reference_url, voices=voice_map))
        else:
            pset = cmp.default_set()
        pset.voices, pset.texts = pset.voices[:n_voices], pset.texts[:n_texts]
        if len(pset.voices) == 1:  # --voice and --reference-url name the one reference's voice and URL
            v = pset.voices[0]
            v.voices = {**voice_map, **v.voices}
            v.reference_url = v.reference_url or reference_url
        elif voice_map or reference_url:
            raise click.BadParameter("--voice and --reference-url describe one reference voice: with a set of "
                                     "several, give each voice's ids and URL in a --set manifest (or --voices 1)",
                                     param_hint="--voice/--reference-url")
        done = cmp.read_measurements([*merge, *([results] if resume and results.exists() else [])])
        before = cmp.read_measurements([baseline]) if baseline else []
        total = len(eps) * pset.size
        if fmt == "text":
            click.echo(f"voice-conformance compare: {tgt.describe()} · {', '.join(eps)}")
        run_id = cmp.new_run_id()
        state: dict[str, Any] = {"n": 0, "stream": None}

        def plan(kept: list[Any], cells: int) -> None:  # once the comparison can run: nothing is lost before
            state["n"] = len(kept)
            state["stream"] = cmp.MeasurementStream(results, run_id=run_id, keep=kept, secrets=secrets)
            if fmt == "text":
                click.echo(f"  {pset.label}: {cells} outputs" + (f", {len(kept)} already measured" if kept else ""))

        def show(m: Any) -> None:
            state["stream"].write(m)
            state["n"] += 1
            if fmt == "text":
                shown = ", ".join(f"{k} {cmp._fmt(v)}" for k, v in m.metrics.items()) if m.status == "ok" else \
                    f"{m.status}: {m.reason}"
                click.echo(f"  [{state['n']:>{len(str(total))}}/{total}] {m.endpoint} · {m.voice} · {m.text}: {shown}")

        result = cmp.compare(tgt, chosen, pset=pset, endpoints=eps, repeat=repeat, faults=faults, rank_by=rank_by,
                             on_measurement=show, on_plan=plan, done=done, secrets=secrets)
    except cmp.CompareError as exc:
        raise InputError(str(exc)) from None
    html = cmp.write_report(result, output, secrets=secrets, baseline=before)
    ranked = result.ranked()
    moved = result.changes(before) if before else []
    worse = [c for c in moved if c.verdict == "worse"]
    if export:
        dest = Path(export).expanduser()
        dest.parent.mkdir(parents=True, exist_ok=True)
        data = result.export_csv() if dest.suffix.lower() == ".csv" else json.dumps(
            {**result.export(), "baseline": [cmp.change_json(c) for c in moved]}, indent=1)
        dest.write_text(mask(data, secrets), encoding="utf-8")
    if fmt == "json":
        click.echo(json.dumps({"target": result.target, "set": pset.label, "report": str(html), "rows": [
            {"place": r.place, "provider": r.provider, "endpoint": r.endpoint, "status": r.status,
             "reason": r.reason or None, "mean_rank": r.rank, **{m: r.metrics.get(m) for m in cmp.METRICS}}
            for r in ranked], "statistics": result.export()["metrics"],
            "baseline": [cmp.change_json(c) for c in moved]}, indent=1))
    else:
        click.echo("")
        click.echo(result.table())
        if not result.latency_ranked:
            click.echo(f"(latency not ranked: on the {tgt.kind} target it measures the kit, not a provider)")
        click.echo("")
        click.echo(result.statistics_text())
        if before:
            click.echo("")
            click.echo(cmp.changes_text(moved, baseline))
        click.echo(f"\nreport: {html} (results: {html.with_suffix('.jsonl')}; measurements: {results})")
    if result.failures or any(r.status == "error" for r in ranked) or not any(r.ok for r in ranked) or worse:
        ctx.exit(1)


# ---------------------------------------------------------------------------------------------
# bench
# ---------------------------------------------------------------------------------------------

_RATIO = r"(\d[\d.,]*\s*[×x](?![A-Za-z])|\bratio\b|\btarget\b|\bgoal\b)"


def _bench_dir(folder: str | None) -> Path:
    if folder is not None:
        d = Path(folder)
        if not list(d.glob("bench_*.py")):
            raise click.BadParameter(f"{d} holds no bench_*.py scripts", param_hint="--dir")
        return d
    here = Path.cwd().resolve()
    import conformance

    candidates = [p / "benchmarks" for p in (here, *here.parents)]
    candidates.append(Path(conformance.__file__).resolve().parents[1] / "benchmarks")
    for d in candidates:
        if list(d.glob("bench_*.py")):
            return d
    raise InputError(f"no benchmarks/ folder with bench_*.py found from {here}: the benchmarks come with the "
                     "source checkout, not the installed package; run from the checkout or give --dir")


@main.command("bench")
@click.argument("names", nargs=-1, metavar="[NAME]...")
@click.option("--dir", "folder", default=None, type=click.Path(file_okay=False),
              help="The benchmarks folder (default: benchmarks/ of the checkout, found from the working directory).")
@click.option("--args", "bench_args", default="", metavar="ARGS",
              help="Arguments for each chosen benchmark, e.g. --args=--quick (split like a shell).")
@click.option("--list", "list_only", is_flag=True, help="List the benchmarks and stop.")
def bench_command(names: tuple[str, ...], folder: str | None, bench_args: str, list_only: bool) -> None:
    """Run the benchmarks (benchmarks/bench_NAME.py) and print their ratios.

    Each benchmark measures its own baseline in the same run and prints ratios against it; their
    output streams as they run, then the lines with ratios and targets are gathered in a summary.
    Exit code 1 when a benchmark fails. Nothing here is a pass/fail test of speed.

    \b
    Examples:
      voice-conformance bench --list
      voice-conformance bench report
      voice-conformance bench simulator --args=--quick
    """
    import re
    import shlex
    import subprocess
    import time

    from conformance.console import table

    d = _bench_dir(folder)
    found = {p.stem.removeprefix("bench_"): p for p in sorted(d.glob("bench_*.py"))}
    if list_only:
        for name, path in found.items():
            doc = path.read_text(encoding="utf-8").split('"""')
            first = doc[1].strip().splitlines()[0] if len(doc) > 1 and doc[1].strip() else ""
            click.echo(f"{name:<12} {first}")
        return
    unknown = [n for n in names if n not in found]
    if unknown:
        raise click.BadParameter(f"unknown benchmark {unknown[0]!r}; known: {', '.join(found)}",
                                 param_hint="NAME")
    try:
        extra = shlex.split(bench_args)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--args") from None
    chosen = list(dict.fromkeys(names)) or list(found)
    results = []
    for name in chosen:
        click.echo(f"== bench {name}: {found[name]}")
        started = time.monotonic()
        lines: list[str] = []
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        with subprocess.Popen([sys.executable, str(found[name]), *extra], cwd=d.parent, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, env=env) as proc:
            assert proc.stdout is not None
            for line in proc.stdout:
                click.echo("   " + line.rstrip("\n"))
                lines.append(line.rstrip("\n"))
        results.append((name, proc.returncode, time.monotonic() - started,
                        [ln.strip() for ln in lines if re.search(_RATIO, ln)]))
    click.echo("")
    click.echo(table(["benchmark", "exit", "seconds"], [(n, c, f"{t:.1f}") for n, c, t, _ in results], right=(1, 2)))
    for name, code, _, ratios in results:
        click.echo(f"\n{name}:" + ("" if code == 0 else f" FAILED (exit code {code})"))
        for line in ratios or ["(no ratio lines printed)"]:
            click.echo(f"  {line}")
    if any(code for _, code, _, _ in results):
        raise SystemExit(1)


def _name_providers_in_help(group: click.Group) -> None:
    """The help's examples name providers the registry knows (``{p}`` and ``{q}`` in the docstrings)."""
    from conformance.registry import names_or_builtin

    known = names_or_builtin()
    p, q = known[0], known[-1] if len(known) > 1 else known[0]
    for cmd in [group, *group.commands.values()]:
        if cmd.help:
            cmd.help = cmd.help.replace("{p}", p).replace("{q}", q)
        if isinstance(cmd, click.Group) and cmd is not group:
            _name_providers_in_help(cmd)


_name_providers_in_help(main)


if __name__ == "__main__":  # pragma: no cover
    main()
