"""Assertions shared by the checker tests (tests/test_exercises*.py)."""


def assert_fails(result, *fragments):
    """The check failed, and its message or details name every fragment (case-insensitive)."""
    assert result.status == "failed", str(result)
    text = result.message + " " + " ".join(result.details)
    for fragment in fragments:
        assert fragment.lower() in text.lower(), f"expected {fragment!r} in: {text}"


def assert_passes(result):
    assert result.passed, str(result)
