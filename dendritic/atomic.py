"""Files are replaced whole or not at all: write to a temporary file in the same folder, flush, rename.

A kill, a full disk or an exception while writing leaves either the old file or the
complete new one, never half of one (the rename is atomic on POSIX file systems).
Every file the project writes goes through here: CSV, JSON, PNG, SVG, GIF, HTML.

    with atomic.open_for_write("data/comparison.csv", newline="") as f:
        f.write(text)
    atomic.write_text(path, text)
    atomic.save_figure(fig, "figures/fig4.png", dpi=150)
"""

from contextlib import contextmanager
import os
from pathlib import Path
import tempfile


@contextmanager
def open_for_write(path, mode="w", **kwargs):
    """Open a temporary sibling of ``path`` for writing; on success it replaces ``path``.

    ``mode`` is "w" (text) or "wb" (bytes); ``kwargs`` go to ``open`` (encoding, newline).
    On an exception the temporary file is removed and ``path`` is left as it was.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"mode must be 'w' or 'wb', got {mode!r}")
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode, **kwargs) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644 & ~_umask())  # mkstemp makes it private; a result file is for everyone
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(path, text, encoding="utf-8"):
    """Replace ``path`` with ``text``, atomically. Returns the Path."""
    with open_for_write(path, "w", encoding=encoding) as f:
        f.write(text)
    return Path(path)


def write_bytes(path, data):
    """Replace ``path`` with ``data``, atomically. Returns the Path."""
    with open_for_write(path, "wb") as f:
        f.write(data)
    return Path(path)


def save_figure(fig, path, **savefig_kwargs):
    """``fig.savefig`` to ``path`` atomically; the format is taken from the suffix. Returns the Path."""
    path = Path(path)
    with open_for_write(path, "wb") as f:
        fig.savefig(f, format=path.suffix.lstrip(".").lower(), **savefig_kwargs)
    return path


def writable_folder(name, folder):
    """Check, before any work, that files can be created in ``folder`` (made if missing).

    Raises ValueError naming the parameter ``name`` and the folder.
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ValueError(f"{name}: cannot create folder {str(folder)!r} ({error.strerror})") from None
    if not folder.is_dir():
        raise ValueError(f"{name}: {str(folder)!r} is not a folder")
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".write-test.")
    except OSError as error:
        raise ValueError(f"{name}: cannot write in folder {str(folder)!r} ({error.strerror})") from None
    os.close(fd)
    os.unlink(probe)
    return folder


def writable_file(name, path):
    """Check, before any work, that ``path`` can be written: its folder exists (or can be made)
    and is writable, and ``path`` is not a folder. Raises ValueError naming ``name``."""
    path = Path(path)
    if str(path) in ("", ".") or path.is_dir():
        raise ValueError(f"{name}: {str(path)!r} is a folder, not a file")
    writable_folder(name, path.parent if str(path.parent) else Path("."))
    if path.exists() and not os.access(path, os.W_OK):
        raise ValueError(f"{name}: {str(path)!r} is not writable")
    return path
