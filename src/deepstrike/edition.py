"""Since the previous edition: what changed between two builds of one briefing.

ICD 203 asks an analytic product that is updated to say what changed. A rebuild of a scenario
compares its results.json payload with the previous edition's: the key judgments whose ICD word
or numbers moved, the data rows that are new (or revised, or gone) and the parameters that
changed. The briefing shows the list in a short box under the bottom line.

The previous edition is the published build the new one replaces. A rebuild that changes
nothing keeps comparing with the edition before it (kept as previous_results.json in the
output set), so the box does not go blank when a briefing is built twice.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deepstrike.chapters import CHAPTERS
from deepstrike.language import Quantity, label_words, reading
from deepstrike.summary import KeyJudgment, judgments_of

PREVIOUS = "previous_results.json"
# What decides whether two builds differ for a reader (not the build time or the command).
SUBSTANCE = ("as_of", "parameters", "results", "data")
MAX_ITEMS = 8


@dataclass(frozen=True)
class Change:
    kind: str  # "judgment", "data" or "parameter"
    text: str


@dataclass(frozen=True)
class Since:
    """The box under the bottom line."""

    previous: str  # which edition the new one is compared with, in words
    headline: str  # '2 judgments moved, 14 new data rows, 1 parameter changed'
    items: list[Change] = field(default_factory=list)


# --- what a payload records about its data ------------------------------------------------


def _row_digest(row: dict[str, Any]) -> str:
    text = json.dumps(row, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def data_summary(visible: dict[str, Any], resources: dict[str, Any]) -> dict[str, Any]:
    """Per table, the rows the build could see (as of its date): primary key -> digest of the
    row. Stored in results.json as "data", so the next edition can say which rows are new."""
    out: dict[str, Any] = {}
    for name in sorted(visible):
        frame = visible[name]
        keys = list(getattr(resources.get(name), "primary_key", []) or [])
        rows: dict[str, str] = {}
        for i, record in enumerate(frame.to_dict("records")):
            ident = "|".join(str(record.get(k)) for k in keys) if keys else f"#{i}"
            rows[ident] = _row_digest(record)
        out[name] = {"rows": dict(sorted(rows.items()))}
    return out


# --- the comparison ---------------------------------------------------------------------------


def flat(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested parameters as dotted names: {"supply": {"draws": 1}} -> {"supply.draws": 1}."""
    out: dict[str, Any] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flat(value, f"{name}."))
        else:
            out[name] = value
    return out


def _shown(value: Any) -> str:
    if isinstance(value, list):
        text = ", ".join(map(str, value))
    elif isinstance(value, float):
        text = f"{value:g}"
    else:
        text = str(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _chapter_name(name: str) -> str:
    for chapter in CHAPTERS:
        if chapter.name == name:
            return chapter.title.split(":")[0]
    return name


def topic(j: KeyJudgment, width: int = 80) -> str:
    """A judgment named in a few words: its gist, or its first clause."""
    text = j.short
    for mark in (": ", "; ", " — "):
        head = text.split(mark, 1)[0]
        if len(head.split()) >= 4:
            text = head
            break
    text = text.rstrip(". ")
    return text if len(text) <= width else text[: width - 1].rsplit(" ", 1)[0] + "…"


def clause_with(text: str, phrase: str) -> str:
    """The clause of plain `text` that holds `phrase` (between '. ' or '; ' boundaries)."""
    at = text.find(phrase)
    if at < 0:
        return ""
    starts = [text.rfind(mark, 0, at) for mark in (". ", "; ")]
    begin = max((s + 2 for s in starts if s >= 0), default=0)
    ends = [e for e in (text.find(mark, at + len(phrase)) for mark in (". ", "; ")) if e >= 0]
    end = min(ends, default=len(text))
    return text[begin:end].strip().rstrip(".")


_VERB = re.compile(r"(?:\b(?:is|has a|has|ranges from)\s+)$")


def mark_move(clause: str, was: str, now: str, mark: str = "") -> str:
    """`clause` with the phrase `now` shown as 'was → now'; the verb before it ('is', 'has',
    'ranges from') goes, since it agrees with one of the two words only."""
    at = clause.find(now)
    if at < 0:
        return clause
    head = _VERB.sub("", clause[:at])
    shown = f"{was} → {now}" + (f" {mark}" if mark else "")
    out = head + shown + clause[at + len(now) :]
    return out[:1].upper() + out[1:]


def likelihood_moves(before: KeyJudgment, after: KeyJudgment) -> list[str]:
    """Each ICD phrase that changed, in its clause: '... is unlikely (33%) → likely (62%) to run
    out within 26 weeks'."""
    out = []
    old, new = list(before.likelihoods), list(after.likelihoods)
    for i, phrase in enumerate(new):
        was = old[i] if i < len(old) else ""
        if was == phrase:
            continue
        clause = clause_with(after.plain, phrase) or phrase
        if was:
            out.append(mark_move(clause, was, phrase))
        else:
            out.append(clause.replace(phrase, f"{phrase} (new)", 1))
    for phrase in old[len(new) :]:
        out.append(f"{phrase} → no likelihood stated")
    return out


def moved_numbers(
    before: KeyJudgment, after: KeyJudgment, old: dict[str, Any], new: dict[str, Any]
) -> list[str]:
    """'label: old → new' for each marked number of the judgment whose text changed."""
    a, b = before.shown(), after.shown()
    out = []
    for name in b:
        if name in a and a[name] != b[name]:
            record = new.get(name, {})
            label = label_words(record.get("label", ""), name)
            was = reading(Quantity.from_record(name, old[name])) if name in old else a[name]
            now = reading(Quantity.from_record(name, record)) if record else b[name]
            out.append(f"{label}: {was} → {now}")
    return out


def judgment_changes(previous: dict[str, Any], payload: dict[str, Any]) -> list[Change]:
    """Judgments whose ICD words or shown numbers moved, and judgments new or gone."""
    old = {j.key: j for j in judgments_of(previous)}
    new = {j.key: j for j in judgments_of(payload)}
    old_results, new_results = previous.get("results", {}), payload.get("results", {})
    out = []
    for key, j in new.items():
        where = _chapter_name(j.chapter)
        before = old.get(key)
        if before is None:
            out.append(Change("judgment", f"{where}, new judgment: {topic(j)}."))
            continue
        moves = likelihood_moves(before, j)
        if moves:
            out.append(Change("judgment", f"{where}: {'; '.join(moves)}."))
            continue
        moved = moved_numbers(before, j, old_results, new_results)
        if moved:
            more = f"; {len(moved) - 2} more numbers" if len(moved) > 2 else ""
            shown = "; ".join(moved[:2])
            out.append(Change("judgment", f"{where}, {topic(j)}: {shown}{more}."))
    for key, j in old.items():
        if key not in new:
            out.append(
                Change("judgment", f"{_chapter_name(j.chapter)}, no longer judged: {topic(j)}.")
            )
    return out


def data_changes(previous: dict[str, Any], payload: dict[str, Any]) -> list[Change]:
    """New, revised and removed rows per table (when both editions recorded their data)."""
    old, new = previous.get("data"), payload.get("data")
    if not isinstance(old, dict) or not isinstance(new, dict):
        return []
    added, revised, removed = {}, {}, {}
    for table in sorted(set(old) | set(new)):
        a = (old.get(table) or {}).get("rows", {})
        b = (new.get(table) or {}).get("rows", {})
        added[table] = sum(1 for k in b if k not in a)
        revised[table] = sum(1 for k in b if k in a and a[k] != b[k])
        removed[table] = sum(1 for k in a if k not in b)
    out = []
    for what, counts in (("new", added), ("revised", revised), ("no longer used", removed)):
        listed = [(t, n) for t, n in counts.items() if n]
        if not listed:
            continue
        total = sum(n for _, n in listed)
        per = ", ".join(f"{n} in {t}" for t, n in sorted(listed, key=lambda x: -x[1])[:4])
        more = f" and {len(listed) - 4} more tables" if len(listed) > 4 else ""
        noun = "row" if total == 1 else "rows"
        out.append(Change("data", f"{total} data {noun} {what} ({per}{more})."))
    return out


def parameter_changes(previous: dict[str, Any], payload: dict[str, Any]) -> list[Change]:
    old = flat({"as_of": previous.get("as_of"), **previous.get("parameters", {})})
    new = flat({"as_of": payload.get("as_of"), **payload.get("parameters", {})})
    out = []
    for name in sorted(set(old) | set(new)):
        if name in ("title", "description"):
            continue
        a, b = old.get(name), new.get(name)
        if a != b:
            out.append(Change("parameter", f"Parameter {name}: {_shown(a)} → {_shown(b)}."))
    return out


def changes(previous: dict[str, Any] | None, payload: dict[str, Any]) -> list[Change]:
    """What changed since the previous edition: judgments first, then data, then parameters."""
    if not previous:
        return []
    return (
        judgment_changes(previous, payload)
        + data_changes(previous, payload)
        + parameter_changes(previous, payload)
    )


def _count(n: int, singular: str, plural: str) -> str:
    return f"{n} {singular if n == 1 else plural}"


def box(
    previous: dict[str, Any] | None, payload: dict[str, Any], limit: int = MAX_ITEMS
) -> Since | None:
    """The 'since the previous edition' box, or None for a first edition."""
    if not previous:
        return None
    found = changes(previous, payload)
    kinds = [c.kind for c in found]
    parts = []
    if kinds.count("judgment"):
        parts.append(_count(kinds.count("judgment"), "judgment moved", "judgments moved"))
    data_rows = [c for c in found if c.kind == "data"]
    if data_rows:
        parts.append("; ".join(c.text.split(" (")[0] for c in data_rows))
    if kinds.count("parameter"):
        parts.append(_count(kinds.count("parameter"), "parameter changed", "parameters changed"))
    if not parts:
        headline = "no change: the same judgments, data and parameters"
    else:
        headline = ", ".join(parts)
        if not kinds.count("judgment"):
            headline += "; no judgment moved"
    items = found[:limit]
    if len(found) > limit:
        items.append(Change("more", f"… and {len(found) - limit} more."))
    built = previous.get("built_at")
    when = f"as of {previous.get('as_of')}" + (f", built {built}" if built else "")
    return Since(previous=when, headline=headline, items=items)


# --- which edition is the previous one --------------------------------------------------------


def _read(path: Path) -> dict[str, Any] | None:
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return (
        payload if isinstance(payload, dict) and isinstance(payload.get("results"), dict) else None
    )


def same_substance(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return all(a.get(k) == b.get(k) for k in SUBSTANCE)


def previous_payload(published: Path, payload: dict[str, Any]) -> dict[str, Any] | None:
    """The edition a new build of `published` (the output folder it replaces) is compared with:
    its results.json, or, when that says the same as the new build, the edition it was itself
    compared with (previous_results.json). None for a first edition."""
    current = _read(Path(published) / "results.json")
    if current is None:
        return None
    if same_substance(current, payload):
        older = _read(Path(published) / PREVIOUS)
        if older is not None:
            return older
    provenance = _read_provenance(Path(published))
    if provenance and "built_at" not in current:
        current = {**current, "built_at": provenance}
    return current


def _read_provenance(folder: Path) -> str | None:
    try:
        record = json.loads((folder / "provenance.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    built = record.get("built_at") if isinstance(record, dict) else None
    return built if isinstance(built, str) else None


def previous_text(previous: dict[str, Any] | None) -> str | None:
    """previous_results.json for the new output set (None: write nothing)."""
    if previous is None:
        return None
    return json.dumps(previous, indent=2, ensure_ascii=False) + "\n"
