"""Every notebook runs at full size, as a student runs it (no DENDRITIC_QUICK), with no error
output; nbval runs them again in quick mode. Each notebook is its own test class, so that the two
pytest workers of ``make test`` (``--dist loadscope``) take the notebooks in turn."""

import shutil

import editions  # notebooks/tools


def _full_size(path, tmp_path):
    copy = tmp_path / path.name
    shutil.copy2(path, copy)
    errors = editions.execute(copy, quick=False, timeout=900)
    assert not errors, "\n".join(f"{path.name}, cell {n}: " + next(
        (f"{o['ename']}: {o['evalue']}" for o in cell.outputs if o.get("output_type") == "error"), "error")
        for n, cell, _ in errors)


for _source in editions.sources():
    _path = _source.with_suffix(".ipynb")
    _name = "TestFullSize_" + _source.stem

    def _test(self, tmp_path, path=_path):
        _full_size(path, tmp_path)

    _test.__name__ = "test_runs_at_full_size_with_no_error"
    globals()[_name] = type(_name, (), {"test_runs_at_full_size_with_no_error": _test,
                                        "__doc__": f"{_path.name} at full size."})

del _source, _path, _name, _test
