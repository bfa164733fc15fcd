"""The ``voice-conformance`` command. Sub-commands are added to the :func:`main` click group."""

from __future__ import annotations

import click


@click.group()
@click.version_option(package_name="voice-conformance")
def main() -> None:
    """Conformance and test-harness kit for voice-cloning APIs."""


def _providers(value: tuple[str, ...]) -> list[str]:
    from conformance.spec import providers

    names = [p.strip() for v in value for p in v.split(",") if p.strip()]
    known = list(providers())
    for n in names:
        if n not in known:
            raise click.BadParameter(f"unknown provider {n!r}; known: {', '.join(known)}", param_hint="--providers")
    return names or known


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
@click.option("--job-polls", default=1, show_default=True, type=click.IntRange(0),
              help="Fetches of a queued ModelsLab job that answer `processing` before `success`.")
@click.option("--job-seconds", default=None, type=click.FloatRange(0), help="Queued jobs also finish after this long.")
@click.option("--http200-errors", is_flag=True, help="Send errors documented as arriving with HTTP 200 that way.")
@click.option("--log-level", default="warning", show_default=True,
              type=click.Choice(["critical", "error", "warning", "info", "debug"]))
def serve(providers: tuple[str, ...], host: str, port: int, seed: int, keys: tuple[str, ...],
          rejected: tuple[str, ...], job_polls: int, job_seconds: float | None, http200_errors: bool,
          log_level: str) -> None:
    """Serve the provider simulators over HTTP, on the providers' own paths.

    Point a client's base URL at the printed address; stop with Ctrl-C (SIGINT) or SIGTERM.
    """
    from conformance.simulators import Simulator
    from conformance.simulators.server import run

    ids = _providers(providers)
    sim = Simulator(*ids, seed=seed, keys=list(keys) or None, job_polls=job_polls, job_seconds=job_seconds,
                    http200_errors=http200_errors)
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
def spec_command(providers: tuple[str, ...]) -> None:
    """Print every documented rule the kit checks, with the document it comes from.

    \b
    Example:
      voice-conformance spec --providers novita
    """
    from conformance.spec.describe import describe

    click.echo(describe(_providers(providers)))


@main.group("report")
def report_group() -> None:
    """Conformance reports: merge JSON Lines results and render the HTML."""


@report_group.command("merge")
@click.argument("shards", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", "output", default="reports/conformance.html", show_default=True,
              type=click.Path(dir_okay=False), help="The HTML report; the merged results go beside it (.jsonl).")
def report_merge(shards: tuple[str, ...], output: str) -> None:
    """Merge results files (JSON Lines) of separate runs or CI jobs into one report.

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
    except (ValueError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
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
def record_command(out: str, mode: str, request_bodies: str, keyword: str | None) -> None:
    """Record the conformance suite's cassettes from the loopback simulator over real HTTP.

    Recorded URLs are the providers' own hosts; every key is scrubbed; bodies over a few KB
    are sidecar files named by SHA-256.
    """
    from pathlib import Path

    from conformance.cassettes.record import record_suite

    code = record_suite(Path(out), mode=mode, request_bodies=request_bodies,
                        pytest_args=["-k", keyword] if keyword else [])
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

    Exit code 1 when a change is breaking.
    """
    from conformance.cassettes.drift import drift_folders, drift_spec

    if spec_mode == (new is not None):
        raise click.UsageError("give OLD NEW, or --spec CASSETTES")
    report = drift_spec(old) if spec_mode else drift_folders(old, new)  # type: ignore[arg-type]
    click.echo(report.to_json() if fmt == "json" else report.to_text())
    raise SystemExit(report.exit_code())


if __name__ == "__main__":  # pragma: no cover
    main()
