"""``make readme-figures``: README's two figures, small, in docs/images/, from the newest runs of their lessons.

    python -m course_utils.readme_figures

Each figure is taken from the newest run of its lesson under ``runs/`` (or ``$COURSE_RUNS_DIR``) that has it;
where there is none, the lesson runs once in its quick configuration, into a temporary folder (not your runs/),
and the figure comes from that run. Each is downscaled to at most ``WIDTH`` pixels wide and saved as a PNG of
fewer than ``MAX_BYTES`` bytes (fewer colours, then fewer pixels, until it fits).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from course_utils import REPO_ROOT
from course_utils.runs import runs_root

IMAGES_DIR = REPO_ROOT / "docs" / "images"
WIDTH = 760
MAX_BYTES = 95_000
# (lesson, the figure in its run folder, its name in docs/images/)
FIGURES = [
    ("lesson05_translation", "attention.png", "lesson05_attention.png"),
    ("lesson07_char_lm", "neuron_1.png", "lesson07_neuron.png"),
]


def newest_figure(lesson: str, name: str, root: Path | None = None) -> Path | None:
    """``name`` in the newest run folder of ``lesson`` that holds it, or None."""
    folder = (root or runs_root()) / lesson
    found = sorted(folder.glob(f"*/{name}"), key=lambda path: path.stat().st_mtime)
    return found[-1] if found else None


def quick_run(lesson: str, runs: Path) -> None:
    """Train ``lesson`` once in its quick configuration, its run folder under ``runs``."""
    print(f"No run of {lesson} with its figure: running it quick (a minute or two)...", flush=True)
    env = dict(os.environ, COURSE_RUNS_DIR=str(runs), MPLBACKEND="Agg")
    subprocess.run([sys.executable, "-m", f"lessons.{lesson}", "--quick"], cwd=REPO_ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip


def downscale(source: Path, target: Path, width: int = WIDTH, max_bytes: int = MAX_BYTES) -> Path:
    """``source`` at most ``width`` pixels wide, as a palette PNG of fewer than ``max_bytes`` bytes."""
    from PIL import Image

    image = Image.open(source).convert("RGB")
    target.parent.mkdir(parents=True, exist_ok=True)
    while True:
        scale = min(1.0, width / image.width)
        resized = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))),
                               Image.Resampling.LANCZOS)  # fmt: skip
        for colors in (256, 128, 64, 32):
            resized.quantize(colors=colors, method=Image.Quantize.MEDIANCUT).save(target, optimize=True)
            if target.stat().st_size < max_bytes:
                return target
        width = int(width * 0.85)


def make_figures() -> list[Path]:
    written = []
    with tempfile.TemporaryDirectory(prefix="readme-figures-") as scratch:
        for lesson, name, target in FIGURES:
            source = newest_figure(lesson, name)
            if source is None:
                quick_run(lesson, Path(scratch))
                source = newest_figure(lesson, name, Path(scratch))
            if source is None:
                raise SystemExit(f"{lesson}'s run wrote no {name}")
            path = downscale(source, IMAGES_DIR / target)
            written.append(path)
            print(f"{path.relative_to(REPO_ROOT)}: {path.stat().st_size / 1000:.0f} kB, from {source}")
    return written


def main() -> int:
    make_figures()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
