"""Every rule the spec encodes, as text: what ``voice-conformance spec`` prints."""

from __future__ import annotations

from conformance.spec.model import Constraint, Endpoint, Param, Rule, Source
from conformance.spec.registry import endpoints as all_endpoints
from conformance.spec.registry import provider


def describe_endpoint(ep: Endpoint) -> list[str]:
    p = provider(ep.provider_id)
    lines = [f"{ep.id}: {ep.method} {p.base_url}{ep.path}{'  [path assumed]' if ep.path_assumed else ''}",
             f"  {ep.summary}", f"  auth: {p.auth.describe()} (${p.auth.env_var})",
             f"  body: {ep.encoding}", f"  source: {ep.source}"]
    for where, item in ep.all_rules():
        if isinstance(item, Param):
            if item.name in ep.auth_params:
                continue
            lines.append(f"  - {where} ({item.location}, {item.type}{', nullable' if item.nullable else ''}"
                         f"{', required' if item.required else ''}"
                         f"{f', default {item.default!r}' if item.default is not None and repr(item.default) != 'MISSING' else ''})"
                         f"  [{item.source}]")
        elif isinstance(item, Constraint):
            lines.append(f"      {item.describe()}  [{item.source}]")
        elif isinstance(item, Rule):
            lines.append(f"  * {item.describe()}  [{item.source}]")
    for r in ep.responses:
        extra = f" ({r.state})" if r.state != "success" else ""
        lines.append(f"  => {r.status}{extra} {r.kind} {', '.join(r.content_types)}  [{r.source}]")
    for v in ep.variants:
        lines.append(f"  ~ variant {v.what}: {v.value}  [{v.source}]")
    return lines


def describe(provider_ids: list[str] | None = None) -> str:
    """The rules of the chosen providers' endpoints (all when ``None``), one per line, with sources."""
    out: list[str] = []
    for ep in all_endpoints():
        if provider_ids and ep.provider_id not in provider_ids:
            continue
        out.extend(describe_endpoint(ep))
        out.append("")
    n_rules = sum(1 for ep in all_endpoints() for _, item in ep.all_rules()
                  if (not provider_ids or ep.provider_id in provider_ids) and not isinstance(item, Param))
    # what the count says is what the lines above show: every line marked [assumed] (or [path assumed])
    assumed = sum(1 for line in out if "[assumed]" in line or "[path assumed]" in line)
    out.append(f"{n_rules} rules over {len([e for e in all_endpoints() if not provider_ids or e.provider_id in provider_ids])} "
               f"endpoints; {assumed} lines above marked [assumed] where the documents are silent")
    return "\n".join(out)


EVIDENCE = ("docs", "live", "sdk", "assumed")
EVIDENCE_WORDS = {"docs": "documented", "live": "observed live", "sdk": "from an official SDK", "assumed": "assumed"}


def _behaviours(provider_id: str) -> list[tuple[str, Source]]:
    """Every sourced behaviour of one provider's simulator and spec: (what, where it comes from)."""
    p = provider(provider_id)
    out: list[tuple[str, Source]] = [(f"error body: {p.error_shape.description}", p.error_shape.source)]
    out += [(f"error {e.name}: HTTP {e.status} {e.code} \"{e.message[:60]}\"", e.source) for e in p.errors]
    out += [(f"variant {v.what}", v.source) for v in p.variants]
    out += [(f"fact {f.name}", f.source) for f in p.facts]
    for ep in all_endpoints():
        if ep.provider_id != provider_id:
            continue
        for where, item in ep.all_rules():
            text = item.describe() if not isinstance(item, Param) else "parameter"
            out.append((f"{ep.name}: {where}: {text}", item.source))
        out += [(f"{ep.name}: answer {r.status} {r.state}", r.source) for r in ep.responses]
        out += [(f"{ep.name}: variant {v.what}: {v.value}", v.source) for v in ep.variants]
    return out


def fidelity(provider_ids: list[str] | None = None) -> str:
    """The fidelity ledger: per provider, how many behaviours are documented, observed live, taken from
    an official SDK or assumed, and which ones are live or assumed (so a user knows how far to trust
    each simulator)."""
    from conformance.spec.registry import providers as all_providers

    lines = ["Fidelity ledger (what each simulated behaviour rests on)", ""]
    for p in all_providers().values():
        if provider_ids and p.id not in provider_ids:
            continue
        items = _behaviours(p.id)
        counts = {k: sum(1 for _, src in items if src.evidence == k) for k in EVIDENCE}
        lines.append(f"{p.id}: " + ", ".join(f"{counts[k]} {EVIDENCE_WORDS[k]}" for k in EVIDENCE))
        for kind in ("live", "sdk", "assumed"):
            for what, src in items:
                if src.evidence == kind:
                    lines.append(f"  [{kind}] {what}  <- {src}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
