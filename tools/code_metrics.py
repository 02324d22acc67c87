"""Measure the text architecture of the package (issue 13's before/after figures).

Prints, for a source tree (default: this checkout):

- the largest modules (lines) and every function longer than ``--max-fn`` lines;
- Japanese string literals in code outside docstrings (per module) — reader text belongs in
  ``iskpi_analysis/messages/``; ``sample.py``'s data values (rep names) are counted apart;
- ``lang == "ja"``-style branches;
- with ``--report DIR``: the share of lines of rendered HTML pages that contain a Japanese
  character (run it on an English report: ``iskpi report --lang en --out DIR``).

Run on an older commit with ``git worktree add /tmp/old <commit>`` and ``--root /tmp/old``.

    python tools/code_metrics.py [--root PATH] [--report DIR] [--max-fn 80]
"""

from __future__ import annotations

import argparse
import ast
import html
import re
import sys
from pathlib import Path

JA = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff00-\uffef]")
#: The ways a language branch is written: ``lang == "ja"``, ``lang != "en"``, ``if ja:``, ``ja = lang == …``.
BRANCH = re.compile(r"""lang\s*[!=]=\s*["'](ja|en)["']|\bif\s+(not\s+)?ja\b|\bja\s*=\s*\(?\s*lang\b""")
#: Modules whose Japanese literals are data, not reader text: the sample's rep and team names, and
#: the importers' vocabulary of Japanese vendor exports (column headers, 「はい」, date formats).
DATA_PREFIXES = ("sample.py", "sample/", "importers/")


def _docstring_nodes(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def module_figures(path: Path, max_fn: int) -> dict:
    src = path.read_text(encoding="utf-8")
    tree = ast.parse(src)
    docs = _docstring_nodes(tree)
    ja_literals = sum(
        1
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs and JA.search(n.value)
    )
    long_fns = [
        (n.name, n.end_lineno - n.lineno + 1)
        for n in ast.walk(tree)
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.end_lineno - n.lineno + 1 > max_fn
    ]
    branches = sum(1 for line in src.splitlines() if BRANCH.search(line))
    return {"lines": len(src.splitlines()), "ja_literals": ja_literals, "long_fns": long_fns, "branches": branches}


def report_share(report: Path) -> tuple[int, int]:
    """(lines with a Japanese character, all non-empty text lines) over the report's HTML pages."""
    ja = total = 0
    for page in sorted(report.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        text = re.sub(r"<(script|style)\b.*?</\1>", "", text, flags=re.S)
        text = re.sub(r'src="data:[^"]*"', "", text)
        for line in html.unescape(re.sub(r"<[^>]+>", "\n", text)).splitlines():
            if line.strip():
                total += 1
                ja += bool(JA.search(line))
    return ja, total


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    ap.add_argument("--report", type=Path, help="a rendered report folder (e.g. an --lang en report)")
    ap.add_argument("--max-fn", type=int, default=80)
    ap.add_argument("--top", type=int, default=8)
    a = ap.parse_args(argv)
    pkg = a.root / "iskpi_analysis"
    figs = {p.relative_to(pkg).as_posix(): module_figures(p, a.max_fn) for p in sorted(pkg.rglob("*.py"))}
    print(f"modules: {len(figs)}, lines: {sum(f['lines'] for f in figs.values())}")
    print("largest modules:")
    for name, f in sorted(figs.items(), key=lambda kv: -kv[1]["lines"])[: a.top]:
        print(f"  {f['lines']:5d}  {name}")
    longs = sorted(((n, fn, ln) for n, f in figs.items() for fn, ln in f["long_fns"]), key=lambda x: -x[2])
    print(f"functions over {a.max_fn} lines: {len(longs)}")
    for name, fn, ln in longs[: a.top]:
        print(f"  {ln:5d}  {name}:{fn}")
    code = {n: f for n, f in figs.items() if not n.startswith(DATA_PREFIXES)}
    print(f"Japanese string literals outside docstrings: {sum(f['ja_literals'] for f in code.values())}", end="")
    print(
        f" (plus {sum(f['ja_literals'] for n, f in figs.items() if n not in code)} data values in sample.py and importers/)"
    )
    for name, f in sorted(code.items(), key=lambda kv: -kv[1]["ja_literals"])[: a.top]:
        if f["ja_literals"]:
            print(f"  {f['ja_literals']:5d}  {name}")
    print(f"language branches (lang == 'ja' and kin): {sum(f['branches'] for f in figs.values())}")
    for name, f in sorted(figs.items(), key=lambda kv: -kv[1]["branches"])[: a.top]:
        if f["branches"]:
            print(f"  {f['branches']:5d}  {name}")
    if a.report:
        ja, total = report_share(a.report)
        print(f"report lines with Japanese: {ja}/{total} = {ja / max(total, 1):.1%} ({a.report})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
