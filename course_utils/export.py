"""``make export``: save each lesson's definitions into an importable module, ``lessons/saved/<lesson>.py``.

d2l's ``#@save`` idea, applied to every definition: the functions, classes and UPPER_CASE constants a
lesson writes at the top level of its cells are copied, with the imports they use, into one module per
lesson. Commands (``predict``, ``compare``), exercises, tests and later lessons import them from there
(``from lessons.saved.lesson05_translation import beam_search``) without running the lesson. A
definition that uses a variable of the lesson's cells (``config``, the data) cannot be saved and is
left out. The lesson file stays the one source: a test fails when a saved module is stale.
"""

from __future__ import annotations

import ast
import builtins
import symtable
import sys
from pathlib import Path

from course_utils import REPO_ROOT
from course_utils.atomic import write_atomic

LESSONS_DIR = REPO_ROOT / "lessons"
SAVED_DIR = LESSONS_DIR / "saved"
QUIET_IMPORT = "import course_utils  # noqa: F401  (quiet TensorFlow logs; must come before keras)"


def lesson_files() -> list[Path]:
    return sorted(LESSONS_DIR.glob("lesson[0-9][0-9]_*.py"))


def is_constant(node: ast.stmt) -> bool:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
    names = [n for t in targets for n in (t.elts if isinstance(t, ast.Tuple) else [t])]
    return bool(names) and all(isinstance(n, ast.Name) and n.id.isupper() for n in names)


def bound_names(node: ast.stmt) -> set[str]:
    if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in node.names}
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    return {n.id for t in targets for n in (t.elts if isinstance(t, ast.Tuple) else [t])}


def global_names(source: str) -> set[str]:
    """The module-level names a definition's source reads (its own name and builtins left out)."""
    top = symtable.symtable(source, "<definition>", "exec")
    names, tables = set(), [top]
    while tables:
        table = tables.pop()
        tables.extend(table.get_children())
        for symbol in table.get_symbols():
            if not symbol.is_referenced():
                continue
            if table is top and not symbol.is_assigned() and not symbol.is_imported():
                names.add(symbol.get_name())
            elif table is not top and symbol.is_global():
                names.add(symbol.get_name())
    defined_here = {s.get_name() for s in top.get_symbols() if s.is_assigned() or s.is_imported()}
    return names - defined_here - set(dir(builtins))


def segment(lines: list[str], node: ast.stmt) -> str:
    first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
    return "\n".join(lines[first - 1 : node.end_lineno])


def saved_source(lesson_file: Path) -> str:
    """The text of ``lessons/saved/<lesson>.py`` for this lesson file."""
    text = lesson_file.read_text(encoding="utf-8")
    lines = text.splitlines()
    tree = ast.parse(text, filename=str(lesson_file))
    imports = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    candidates = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef)) or is_constant(n)]
    needs = {id(n): global_names(segment(lines, n)) for n in candidates}
    imported = set().union(*(bound_names(n) for n in imports)) if imports else set()
    kept = list(candidates)
    while True:  # drop definitions that read a cell's variable, then those that read a dropped definition
        available = imported | {name for n in kept for name in bound_names(n)}
        still = [n for n in kept if needs[id(n)] <= available]
        if len(still) == len(kept):
            break
        kept = still
    used = set().union(*(needs[id(n)] for n in kept)) if kept else set()
    header = [
        f'"""The definitions of lessons/{lesson_file.name}, saved by `make export`: do not edit here.',
        "",
        "Every function, class and UPPER_CASE constant of the lesson that does not read a variable of its",
        "cells, with the imports it uses. Change the lesson, then run `make export`.",
        '"""',
        "",
    ]
    body = [_import_lines(n, lines, used) for n in imports]
    body = [QUIET_IMPORT] + [b for b in body if b and b != QUIET_IMPORT.split("  #")[0]]
    parts = ["\n".join(header + body)] + [segment(lines, n) for n in kept]
    return "\n\n\n".join(parts) + "\n"


def _import_lines(node, lines: list[str], used: set[str]) -> str:
    if isinstance(node, ast.ImportFrom) and node.module == "__future__":
        return segment(lines, node)
    if isinstance(node, ast.Import) and [a.name for a in node.names] == ["course_utils"]:
        return "import course_utils"
    keep = [a for a in node.names if (a.asname or a.name).split(".")[0] in used]
    if not keep:
        return ""
    if len(keep) == len(node.names):
        return segment(lines, node).split("  #")[0]
    node = type(node)(**{**{f: getattr(node, f) for f in node._fields}, "names": keep})
    return ast.unparse(node)


def saved_path(lesson_file: Path) -> Path:
    return SAVED_DIR / lesson_file.name


def stale() -> list[str]:
    """The lessons whose saved module differs from what ``make export`` would write now."""
    return [
        f.stem
        for f in lesson_files()
        if not saved_path(f).is_file() or saved_path(f).read_text(encoding="utf-8") != saved_source(f)
    ]


def main() -> int:
    SAVED_DIR.mkdir(exist_ok=True)
    init = SAVED_DIR / "__init__.py"
    if not init.exists():
        write_atomic(init, '"""Each lesson\'s definitions, saved by `make export` (course_utils/export.py)."""\n')
    for lesson_file in lesson_files():
        source = saved_source(lesson_file)
        target = saved_path(lesson_file)
        changed = not target.is_file() or target.read_text(encoding="utf-8") != source
        if changed:
            write_atomic(target, source)
        print(f"  {target.relative_to(REPO_ROOT)}  {'written' if changed else 'up to date'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
