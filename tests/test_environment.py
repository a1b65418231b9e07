"""environment.yml (conda / Binder) and pyproject.toml must name the same packages."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _name(requirement):
    return re.split(r"[=<>!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower()


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(r) for r in project["dependencies"]}
    wanted |= {_name(r) for group in project["optional-dependencies"].values() for r in group}
    listed, in_dependencies = set(), False
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if line and not line[0].isspace():
            in_dependencies = line.startswith("dependencies:")
        item = line.split("#")[0].strip()
        if not in_dependencies or not item.startswith("- ") or item.endswith(":"):
            continue
        name = _name(item[2:])
        if name not in ("python", "pip", "-e"):
            listed.add(name)
    assert listed == wanted


def test_torch_is_pinned_to_the_cpu_build_on_disk():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "torch==2.13.0" in project["dependencies"]
    assert "torch==2.13.0" in (ROOT / "environment.yml").read_text()
