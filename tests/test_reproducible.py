"""What runs is what the rule file says, on any CPU, from any install.

Each test runs training in a fresh Python process (the way a student's kernel or a CI
machine meets the package), so numba compiles there: these tests take a minute.
"""

import json
import os
from pathlib import Path
import shutil
import subprocess
import sys
import sysconfig
import tempfile

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "dendritic"

#: Trains on a small spiral and prints what a result is: a digest of every weight and rule
#: synapse, and the accuracies and loss curve to the last bit.
SCRIPT = r"""
import hashlib, json, sys, warnings
import dendritic
warnings.simplefilter("always")
name, config = sys.argv[1], sys.argv[2]
data = dendritic.spiral_data(per_class=150, seed=3)
net = dendritic.Network(seed=[0, 1])
result = dendritic.train(net, dendritic.rule(name, config=config), data, eval_every=100, record_every=30)
digest = hashlib.sha256()
for key, value in sorted({**dict(net.named_parameters()), **dict(net.named_buffers())}.items()):
    digest.update(key.encode()); digest.update(value.detach().numpy().tobytes())
print(json.dumps(dict(weights=digest.hexdigest(), val_acc=result.val_acc.tolist(),
                      loss=result.curve_val_loss.tolist(), angles=result.records["angle/all"].tolist(),
                      file=dendritic.__file__)))
"""


def run(args, env=None, cwd=None, python=sys.executable, prefix=()):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
    environment.update(env or {})
    done = subprocess.run([*prefix, python, *args], capture_output=True, text=True, env=environment, cwd=cwd,
                          timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr


@pytest.mark.parametrize("name, config", [("interneuron", "poster"), ("kolen_pollack", "tuned")])
def test_same_bits_on_two_cpu_targets(name, config, tmp_path):
    """The loop compiled for a generic x86-64 (SSE2 only) and for this machine's CPU (AVX-512
    here) gives identical weights, accuracies, losses and angles, even for the poster's
    interneuron rule, which is chaotic (a 1e-7 difference grows to order 1 within 30 steps),
    so any difference in float rounding between the targets would show."""
    results = {}
    for target in ("generic", "host"):
        env = {"NUMBA_CPU_NAME": target, "NUMBA_CACHE_DIR": str(tmp_path / target)}
        results[target], _ = run(["-c", SCRIPT, name, config], env)
    assert results["generic"] == results["host"]


def _copy_package(tmp_path):
    root = tmp_path / "copy"
    shutil.copytree(PACKAGE, root / "dendritic", ignore=shutil.ignore_patterns("__pycache__"))
    return root


def _edit(path, old, new):
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} not found once in {path}"
    path.write_text(text.replace(old, new))


def test_editing_an_equation_changes_what_train_learns(tmp_path):
    """Flip the sign of the dendritic error in rules/temporal_contrast.py of a copy of the
    package: train() learns something else (the file is what runs). Then change a shared
    helper the kernel calls from another file (the output nudge in rules/base.py): the
    cached compiled code is not reused, training changes again."""
    root = _copy_package(tmp_path)
    # -S: no site-packages .pth files, so the development install's import hook cannot win over the copy
    env = {"PYTHONPATH": f"{root}:{sysconfig.get_paths()['purelib']}", "NUMBA_CACHE_DIR": str(tmp_path / "cache")}
    original, _ = run(["-S", "-c", SCRIPT, "temporal_contrast", "poster"], env, cwd=tmp_path)
    assert original["file"].startswith(str(root))
    _edit(root / "dendritic/rules/temporal_contrast.py", "N[i] = relu_derivative(z[i]) * (D_B[i] - D_F[i])",
          "N[i] = relu_derivative(z[i]) * (D_F[i] - D_B[i])")
    flipped, _ = run(["-S", "-c", SCRIPT, "temporal_contrast", "poster"], env, cwd=tmp_path)
    assert flipped["weights"] != original["weights"]
    assert sum(flipped["val_acc"]) < sum(original["val_acc"]) - 0.2  # gradient ascent in the hidden layers
    _edit(root / "dendritic/rules/base.py", "N[j] = f32(2 / K) * (want - a[j])", "N[j] = f32(1 / K) * (want - a[j])")
    halved, _ = run(["-S", "-c", SCRIPT, "temporal_contrast", "poster"], env, cwd=tmp_path)
    assert halved["weights"] not in (flipped["weights"], original["weights"])


def test_a_read_only_install_trains():
    """A regular (non-editable) install on a read-only file system, run by a user whose home
    cannot be written: training works (compiled in memory, after one warning), and
    config="tuned" finds the tuned hyperparameters shipped with the package."""
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("needs root and setpriv to run the install as an unprivileged user")
    tmp_path = Path(tempfile.mkdtemp(prefix="dendritic-read-only-"))  # pytest's own folder is private to root
    try:
        _read_only_install_trains(tmp_path)
    finally:
        subprocess.run(["chmod", "-R", "u+w", str(tmp_path)])
        shutil.rmtree(tmp_path)


def _read_only_install_trains(tmp_path):
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--target", str(site), str(PACKAGE.parent)], check=True, capture_output=True, timeout=600)
    for path in [tmp_path, *tmp_path.rglob("*")]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    os.chmod(tmp_path, 0o755)
    dependencies = sysconfig.get_paths()["purelib"]
    env = {"PYTHONPATH": f"{site}:{dependencies}", "HOME": "/nonexistent", "NUMBA_CACHE_DIR": ""}
    env.pop("NUMBA_CACHE_DIR")
    result, stderr = run(["-S", "-c", SCRIPT, "backprop", "tuned"], env, cwd="/",
                         prefix=("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"))
    assert result["file"].startswith(str(site))
    assert all(0.5 < a <= 1 for a in result["val_acc"])
    assert stderr.count("cannot be cached here") == 1, stderr[-2000:]
