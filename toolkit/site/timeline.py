"""A phase's measured locks as an SVG timeline, from `toolkit rehearse --format json`: one lane per statement
(a batched step's batches share their statement's lane), the statement's run as a grey bar, each lock it held
as a bar below it coloured by what clients could not do meanwhile: red, reads and writes blocked (ACCESS
EXCLUSIVE); amber, writes blocked (SHARE ... EXCLUSIVE); green, neither (SHARE UPDATE EXCLUSIVE and weaker,
or any lock on a relation the phase itself made, which nobody else could be waiting for).
Plain SVG, no script: the site stays readable offline."""

from __future__ import annotations

from html import escape
from pathlib import Path

from ..plan.lock_modes import clients_blocked

COLOURS = {"reads and writes": "#d9534f", "writes": "#f0ad4e", None: "#8fc98f"}
_LABEL, _WIDTH, _LANE, _TOP = 300, 1000, 26, 46


def lock_timeline(phase: dict, action: str = "apply") -> str | None:
    """The SVG of one phase's apply (or rollback) from a rehearsal's JSON; None when it ran no statement."""
    statements = [s for s in phase["statements"] if s["action"] == action]
    if not statements:
        return None
    lanes: dict[tuple[str, int], list[dict]] = {}
    for statement in statements:
        lanes.setdefault((statement["path"], statement["line"]), []).append(statement)
    end = max(max(s["at"] + s["seconds"] for s in statements),
              max((lock["at"] + lock["held_seconds"] for s in statements for lock in s["locks"]), default=0), 0.001)
    scale = (_WIDTH - _LABEL - 20) / end
    height = _TOP + _LANE * len(lanes) + 30
    parts = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{_WIDTH}' height='{height}' font-family='sans-serif' "
             f"font-size='11'><title>Phase {phase['phase']} {action}: locks held, measured</title>",
             f"<text x='4' y='14' font-size='13'>Phase {phase['phase']} {action}: {end:.3f} s of statements; "
             "locks by what clients could not do</text>"]
    for i, (label, blocked) in enumerate((("reads and writes blocked", "reads and writes"),
                                          ("writes blocked", "writes"), ("neither", None))):
        x = _LABEL + i * 170
        parts.append(f"<rect x='{x}' y='22' width='12' height='10' fill='{COLOURS[blocked]}'/>"
                     f"<text x='{x + 16}' y='31'>{label}</text>")
    for lane, ((path, line), runs) in enumerate(lanes.items()):
        y = _TOP + lane * _LANE
        text = escape(f"{Path(path).name}:{line}")
        parts.append(f"<text x='4' y='{y + 12}'>{text}<title>{escape(runs[0]['text'])}</title></text>")
        for run in runs:
            parts.append(_bar(run["at"], run["seconds"], y, 6, "#999", scale, f"{text} {run['seconds']:.3f} s"
                              + (f" (batch {run['batch']})" if run.get("batch") else "")))
            for lock in run["locks"]:
                blocked = None if lock.get("new_relation") else clients_blocked(lock["mode"])
                parts.append(_bar(lock["at"], lock["held_seconds"], y + 8, 10, COLOURS[blocked], scale,
                                  f"{lock['mode']} on {lock['relation']}: held {lock['held_seconds']:.3f} s"
                                  + (f", waited {lock['waited_seconds']:.3f} s" if lock["waited_seconds"] else "")
                                  + (f"; {blocked} blocked" if blocked else "")))
    axis = _TOP + _LANE * len(lanes) + 12
    parts.append(f"<line x1='{_LABEL}' y1='{axis - 8}' x2='{_LABEL + end * scale:.1f}' y2='{axis - 8}' stroke='#444'/>"
                 f"<text x='{_LABEL}' y='{axis + 4}'>0 s</text>"
                 f"<text x='{_LABEL + end * scale:.1f}' y='{axis + 4}' text-anchor='end'>{end:.3f} s</text></svg>")
    return "".join(parts)


def _bar(at: float, seconds: float, y: int, height: int, colour: str, scale: float, title: str) -> str:
    width = max(seconds * scale, 1.5)  # a 1 ms lock is still seen
    return (f"<rect x='{_LABEL + at * scale:.1f}' y='{y}' width='{width:.1f}' height='{height}' fill='{colour}'>"
            f"<title>{escape(title)}</title></rect>")
