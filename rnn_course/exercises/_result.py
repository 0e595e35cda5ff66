"""What a check returns, and how it looks in Jupyter, in the book and in a terminal."""

from __future__ import annotations

import html
from dataclasses import dataclass, field

PASSED, FAILED, NOT_ATTEMPTED = "passed", "failed", "not attempted"

_STYLE = {
    # status: (label, border, background, text colour, icon)
    PASSED: ("Correct", "#2b8a3e", "#ebfbee", "#1b4d2b", "✔"),
    FAILED: ("Not yet", "#c92a2a", "#fff5f5", "#5c1414", "✘"),
    NOT_ATTEMPTED: ("Not attempted yet", "#868e96", "#f8f9fa", "#343a40", "…"),
}


@dataclass(frozen=True)
class CheckResult:
    """The verdict of ``rnn_course.exercises.check``.

    - name, title: the exercise's registry name and the title the box shows
    - passed: True when the answer is right
    - status: "passed", "failed" or "not attempted"
    - message: one paragraph for the learner, in the book's notation
    - details: the evidence (cases tried, the worst mismatch ...), one item per line
    """

    name: str
    title: str
    status: str
    message: str
    details: tuple = field(default_factory=tuple)

    @property
    def passed(self) -> bool:
        """True when the answer is right, i.e. status is "passed"; also the result's truth value."""
        return self.status == PASSED

    def __bool__(self):
        return self.passed

    def __str__(self):
        label = _STYLE[self.status][0]
        lines = [f"[{label}] {self.title}: {self.message}"]
        lines += [f"  - {d}" for d in self.details]
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self):
        label, border, background, colour, icon = _STYLE[self.status]
        details = ""
        if self.details:
            items = "".join(f"<li>{html.escape(str(d))}</li>" for d in self.details)
            details = f'<ul style="margin:0.4em 0 0 1.2em;padding:0">{items}</ul>'
        return (
            f'<div class="rnn-check rnn-check-{self.status.replace(" ", "-")}" role="status" '
            f'style="border-left:6px solid {border};background:{background};color:{colour};'
            f'padding:0.6em 0.9em;margin:0.4em 0;border-radius:4px;font-family:sans-serif">'
            f"<strong>{icon} {label}</strong> — <em>{html.escape(self.title)}</em><br>"
            f"{_inline_code(self.message)}{details}</div>"
        )


@dataclass(frozen=True)
class Hint:
    """A hint, rendered as a small box; ``str(hint)`` is its text."""

    name: str
    level: int
    levels: int
    text: str

    def __str__(self):
        return f"Hint {self.level}/{self.levels} for {self.name}: {self.text}"

    __repr__ = __str__

    def _repr_html_(self):
        return (
            '<div class="rnn-hint" style="border-left:6px solid #1c7ed6;background:#e7f5ff;color:#0b3a5e;'
            'padding:0.6em 0.9em;margin:0.4em 0;border-radius:4px;font-family:sans-serif">'
            f"<strong>Hint {self.level} of {self.levels}</strong> — {_inline_code(self.text)}</div>"
        )


def _inline_code(text: str) -> str:
    """Escape text for HTML and turn `backticked` spans into <code>."""
    parts = html.escape(text).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))
