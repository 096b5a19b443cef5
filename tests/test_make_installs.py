"""What `make lab` and `make lessonNN BACKEND=...` install and run, checked without installing or starting anything:
make runs with pip replaced by `echo pip` (so each pip command is printed, not run), or with -n."""

import os
import re
import shutil
import subprocess

import pytest

from course_utils import REPO_ROOT

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")


def pinned(name: str) -> str:
    text = (REPO_ROOT / "requirements-backends.txt").read_text()
    return re.search(rf"^{name}(\[[^]]*\])?==([^\s;]+)", text, re.M).group(2)


def make(venv, *args: str, dry: bool = False, env: dict | None = None) -> str:
    """make's output, with the venv's set-up taken as done and pip (and the venv's Python) replaced by echo."""
    venv.mkdir(exist_ok=True)
    command = ["make", "--no-print-directory", f"VENV={venv}", "PIP=echo pip", "PY=echo python"]
    command += ["-o", f"{venv}/.installed", "-o", f"{venv}/.installed-gpu", *(["-n"] if dry else []), *args]
    done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def pip_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("pip ")]


# ------------------------------------------------------------------ backends: the build that fits the machine
def test_without_a_gpu_torch_comes_from_pytorchs_cpu_index(tmp_path):
    venv = tmp_path / "venv"
    out = make(venv, "lesson07", "BACKEND=torch", "GPU=0", "OS_NAME=Linux")
    [install] = pip_lines(out)
    assert f"torch=={pinned('torch')}" in install
    assert "--index-url https://download.pytorch.org/whl/cpu" in install
    assert "--extra-index-url https://pypi.org/simple" in install, "torch's own dependencies come from PyPI"
    assert (venv / ".backend-torch-cpu").is_file()
    assert "python -m lessons.lesson07_char_lm" in out
    assert pip_lines(make(venv, "lesson07", "BACKEND=torch", "GPU=0", "OS_NAME=Linux")) == [], "installed once"


def test_gpu_1_without_an_nvidia_driver_still_gets_the_cpu_builds(tmp_path):
    venv = tmp_path / "venv"
    out = make(venv, f"{venv}/.backend-torch-cpu", "GPU=1", "NVIDIA_SMI=", "OS_NAME=Linux")
    assert "download.pytorch.org/whl/cpu" in out
    [install] = pip_lines(make(venv, "lesson07", "BACKEND=jax", "GPU=1", "NVIDIA_SMI="))
    assert f"jax[cpu]=={pinned('jax')}" in install


def test_a_gpu_machine_gets_the_cuda_builds(tmp_path):
    venv = tmp_path / "venv"
    gpu = ["GPU=1", "NVIDIA_SMI=/usr/bin/nvidia-smi", "OS_NAME=Linux"]
    [jax] = pip_lines(make(venv, "lesson07", "BACKEND=jax", *gpu))
    assert f"jax[cuda12]=={pinned('jax')}" in jax
    [torch] = pip_lines(make(venv, "lesson07", "BACKEND=torch", *gpu))
    assert f"torch=={pinned('torch')}" in torch and "--index-url" not in torch, "PyPI's (CUDA) torch"


def test_macos_gets_pypis_torch_which_is_its_cpu_build(tmp_path):
    [install] = pip_lines(make(tmp_path / "venv", "lesson07", "BACKEND=torch", "GPU=0", "OS_NAME=Darwin"))
    assert f"torch=={pinned('torch')}" in install and "--index-url" not in install


def test_changing_build_uninstalls_the_other_first(tmp_path):
    venv = tmp_path / "venv"
    make(venv, "lesson07", "BACKEND=torch", "GPU=0", "OS_NAME=Linux")
    lines = pip_lines(make(venv, "lesson07", "BACKEND=torch", "GPU=1", "NVIDIA_SMI=/usr/bin/nvidia-smi"))
    assert lines[0].startswith("pip uninstall") and " torch" in lines[0] and "install" in lines[1]
    assert (venv / ".backend-torch-gpu").is_file() and not (venv / ".backend-torch-cpu").exists()


def test_make_test_installs_jaxs_cpu_build_unless_a_build_is_there(tmp_path):
    """CI runs `make test`: it gets jax[cpu] as before; a venv that has JAX's GPU build keeps it."""
    venv = tmp_path / "venv"
    [install] = pip_lines(make(venv, f"{venv}/.backend-jax", "GPU=0"))
    assert f"jax[cpu]=={pinned('jax')}" in install
    other = tmp_path / "other"
    other.mkdir()
    (other / ".backend-jax-gpu").touch()
    assert pip_lines(make(other, f"{other}/.backend-jax", "GPU=0")) == []


# ------------------------------------------------------------------ make lab
def lab_command(tmp_path, *args: str, display: str | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    if display:
        env["DISPLAY"] = display
    out = make(tmp_path / "venv", "lab", *args, dry=True, env=env)
    return next(line for line in out.splitlines() if "jupyter lab" in line)


def test_make_lab_binds_to_localhost_and_allows_root_only_as_root(tmp_path):
    as_root = lab_command(tmp_path, "LAB_UID=0", "OS_NAME=Linux")
    assert "--ip=127.0.0.1" in as_root and "--allow-root" in as_root and "--no-browser" in as_root
    assert as_root.rstrip().endswith("lessons/")
    as_user = lab_command(tmp_path, "LAB_UID=1000", "OS_NAME=Linux")
    assert "--ip=127.0.0.1" in as_user and "--allow-root" not in as_user
    here = lab_command(tmp_path)  # whoever runs the tests
    assert ("--allow-root" in here) == (os.getuid() == 0)


def test_make_lab_takes_lab_ip_and_opens_a_browser_where_there_is_a_display(tmp_path):
    assert "--ip=0.0.0.0" in lab_command(tmp_path, "LAB_IP=0.0.0.0")
    assert "--no-browser" not in lab_command(tmp_path, "OS_NAME=Linux", display=":0")
    assert "--no-browser" not in lab_command(tmp_path, "OS_NAME=Darwin")


def test_make_lab_installs_the_pinned_jupyterlab_keeping_the_courses_pins(tmp_path):
    out = make(tmp_path / "venv", "lab", dry=True)
    assert "install --quiet -r requirements-lab.txt -c requirements.txt" in out
    pins = [line for line in (REPO_ROOT / "requirements-lab.txt").read_text().splitlines() if line.strip()]
    assert any(re.fullmatch(r"jupyterlab==[0-9.]+", line) for line in pins)
