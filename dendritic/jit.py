"""How the rules' equations are compiled (numba), and why a user never waits for it twice.

A learning rule writes its per-sample equations once, in plain array code, as two
*kernels* (see ``dendritic.rules.base``): ``@phases_kernel def phases(...)``, the forward and
the teaching phase of one sample (every compartment's state), and ``@plasticity_kernel def
plasticity(...)``, the weight changes from those states. numba compiles them to machine
code, and one generic training loop (``dendritic.loop``) calls them through function
pointers, so:

- the rule file is the only place its equations are written, and it is what ``train`` runs;
- a student's own rule (a new file, a subclass, a notebook cell) runs at the same speed
  without touching the loop;
- every kernel has one fixed signature (``phases_signature``, ``plasticity_signature``): a
  network of any depth is the same type (``dendritic.circuit``), so one compiled loop
  serves every network.

Compiled code is cached on disk (numba's cache, next to the source or in the user's
cache folder). numba checks a kernel's own source file; it cannot see a change in a
helper the kernel calls from another file. So the cache stamp here also holds a digest of
every file the kernel's code comes from (its own, those of the helpers it calls, and this
one): edit any of them and the kernels that use it compile afresh, the others do not.
Where no cache folder can be written (a read-only install with a read-only home),
kernels compile in memory for the process, after one warning.

Numbers are the same on every x86-64 CPU: no kernel uses ``fastmath``, so the compiler
may not reorder a float sum or fuse a multiply-add, and the sums in ``dendritic.linalg``
have a fixed order (see there).
"""

import functools
import hashlib
import inspect
from pathlib import Path
import threading
import warnings

_lock = threading.RLock()
_warned = False


@functools.cache
def numba():
    """The numba module, imported on first use (~0.4 s): ``import dendritic`` does not pay for it."""
    import numba as nb

    return nb


def digest(files):
    """SHA-256 (16 hex digits) of the contents of ``files``, in sorted order, and of this file."""
    h = hashlib.sha256()
    for path in sorted({str(Path(f).resolve()) for f in files} | {str(Path(__file__).resolve())}):
        h.update(path.encode())
        try:
            h.update(Path(path).read_bytes())
        except OSError:  # a notebook cell has no file: its code is in numba's own key
            pass
    return h.hexdigest()[:16]


def _cached(dispatcher, py_func, sources):
    """Give ``dispatcher`` numba's on-disk cache, stamped with the digest of ``sources``; without a
    writable cache location, compile in memory and warn once."""
    global _warned
    from numba.core.caching import FunctionCache, IndexDataCacheFile

    class StampedCache(FunctionCache):
        def __init__(self, function):
            super().__init__(function)
            stamp = (self._impl.locator.get_source_stamp(), digest(sources))
            self._cache_file = IndexDataCacheFile(cache_path=self._cache_path,
                                                  filename_base=self._impl.filename_base, source_stamp=stamp)

    try:
        dispatcher._cache = StampedCache(py_func)
    except RuntimeError as error:  # numba: "cannot cache function ...: no locator available"
        if not _warned:
            _warned = True
            warnings.warn(f"dendritic: compiled code cannot be cached here ({error}); compiling in memory for "
                          "this process (a few seconds per rule). Set NUMBA_CACHE_DIR to a writable folder to keep it.",
                          RuntimeWarning, stacklevel=4)
    return dispatcher


def helper(function):
    """A small compiled function that kernels call (the compiler inlines it; it is cached inside them)."""
    return _LazyHelper(function)


class _LazyHelper:
    """Becomes ``numba.njit(function)`` the first time numba (or anyone) needs it."""

    def __init__(self, function):
        self.py_func = function
        self._dispatcher = None
        functools.update_wrapper(self, function)

    @property
    def dispatcher(self):
        if self._dispatcher is None:
            self._dispatcher = numba().njit(inline="always")(self.py_func)
            self._dispatcher.dendritic_helper = self
        return self._dispatcher

    def __call__(self, *args):
        return self.dispatcher(*args)


class Kernel:
    """A rule's per-sample function, compiled for one fixed signature on first use.

    ``Kernel(function, signature)``: ``function`` is plain Python that numba can compile
    (array code, loops, the helpers of ``dendritic.linalg`` and ``dendritic.circuit``).
    ``kernel.compiled`` is the numba dispatcher (loaded from the cache when it can be).
    """

    def __init__(self, function, signature):
        self.py_func = function
        self.signature = signature  # a callable returning the numba signature (numba imported lazily)
        self._compiled = None
        functools.update_wrapper(self, function)

    @property
    def compiled(self):
        with _lock:
            if self._compiled is None:
                sources = _resolve_helpers(self.py_func)
                dispatcher = _cached(numba().njit(self.py_func), self.py_func, sources)
                dispatcher.compile(self.signature())
                dispatcher.disable_compile()  # one signature only: a call never compiles anew
                self._compiled = dispatcher
            return self._compiled

    def __call__(self, *args):
        return self.compiled(*args)

    def __repr__(self):
        return f"<kernel {self.py_func.__module__}.{self.py_func.__qualname__}>"


def _resolve_helpers(function):
    """numba reads a kernel's globals: turn the lazy helpers it names into compiled functions.
    Returns the source files of the kernel and of every helper it reaches."""
    seen, files = set(), set()

    def visit(fn):
        if id(fn) in seen:
            return
        seen.add(id(fn))
        try:
            files.add(inspect.getsourcefile(fn) or "")
        except TypeError:
            pass
        for name in fn.__code__.co_names:
            value = fn.__globals__.get(name)
            value = getattr(value, "dendritic_helper", value)  # resolved before: the helper it came from
            if isinstance(value, _LazyHelper):
                visit(value.py_func)
                fn.__globals__[name] = value.dispatcher
            elif isinstance(value, Kernel):
                fn.__globals__[name] = value.compiled
    visit(function)
    return files - {""}


def phases_signature():
    from .circuit import circuit_type

    nb = numba()
    return nb.types.void(circuit_type(), nb.types.int64, nb.types.float32[::1], nb.types.int64,
                         nb.types.float64[::1])


def plasticity_signature():
    from .circuit import circuit_type

    nb = numba()
    return nb.types.void(circuit_type(), nb.types.int64, nb.types.float64[::1], nb.types.float64)


def phases_kernel(function):
    """Decorator for a rule's ``phases(net, m, x, target, h)``: member ``m`` of circuit ``net``
    sees input ``x`` [n_0] with class ``target``; fill every compartment (forward phase,
    teaching phase, dendrites, nudges). ``h``: the rule's numbers (``Rule.kernel_numbers``)."""
    return Kernel(function, phases_signature)


def plasticity_kernel(function):
    """Decorator for a rule's ``plasticity(net, m, h, scale)``: change member ``m``'s synapses
    from the compartments ``phases`` left; every learning rate is multiplied by ``scale``."""
    return Kernel(function, plasticity_signature)


def source_of(function):
    """Where a kernel's equations are written: (file, first line)."""
    return inspect.getsourcefile(function), function.__code__.co_firstlineno


def warm_up(report=None):
    """Compile (or load from the cache) the training loop, evaluation, the diagnostics and every
    registered rule's kernels, so that no later training waits for the compiler."""
    import time

    from . import diagnostics, loop
    from .rules import ALL_RULES

    kernels = [("training loop", loop.train_steps), ("evaluation", loop.evaluate_kernel),
               *[(f"diagnostics: {k.__name__.strip('_')}", k) for k in diagnostics.KERNELS]]
    for name, cls in ALL_RULES.items():
        kernels += [(f"{name}: phases", cls.phases), (f"{name}: plasticity", cls.plasticity)]
    seen = set()
    for label, kernel in kernels:
        if id(kernel) in seen:  # feedback alignment and Kolen-Pollack run temporal contrast's kernels
            continue
        seen.add(id(kernel))
        start = time.perf_counter()
        kernel.compiled
        if report:
            report(f"{label:40s} {time.perf_counter() - start:6.2f} s")
