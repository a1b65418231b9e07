"""Where the project's committed data and figures live (the repository root)."""

import os
from pathlib import Path

ROOT = Path(os.environ.get("DENDRITIC_ROOT", Path(__file__).resolve().parent.parent))
DATA = ROOT / "data"
FIGURES = ROOT / "figures"
