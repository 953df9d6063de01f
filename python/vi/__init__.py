"""vi: variational inference for Stan-language models, from Python.

    import vi
    model = vi.Model("examples/eight_schools.vim")        # parsed and checked once
    fit = model.fit({"y": [28, 8, -3, 7, -1, 1, 18, 12],
                     "sigma": [15, 10, 16, 11, 9, 11, 10, 18]}, seed=1)
    fit.summary()        # a pandas DataFrame (a dict of numpy arrays without pandas)
    fit.draws()["theta"] # numpy array, draws x 8
    fit.diagnostics["khat"], fit.report("eight_schools.html")

A fit is vi-run's fit: the same options (vi-run's names, `-` or `_`), the
same seed, the same numbers to the last digit. Errors raise vi.ViError with
vi's message, file, line and column.
"""
import ctypes
import csv
import io
import numbers
import os
import re

import numpy as np

try:
    import pandas as _pd
except ImportError:  # pandas is optional
    _pd = None

from . import _lib

__all__ = ["Model", "Fit", "ViError", "fit"]
__version__ = "0.1.0"

_LIB = None


def _library():
    global _LIB
    if _LIB is None:
        _LIB = _lib.load()
    return _LIB


_LOC = re.compile(r"^(?P<file>[^\n]*?):(?P<line>\d+):(?P<col>\d+): error: (?P<msg>[^\n]*)", re.M)
_NOLOC = re.compile(r"^(?:(?P<file>[^\n:]*): )?error: (?P<msg>[^\n]*)", re.M)


class ViError(Exception):
    """An error from vi: `message` (the first error's text), `file`, `line`
    and `col` (None when the error has no place), `text` (every diagnostic,
    as vi-run prints them, with source lines and carets) and `exit_code`
    (what vi-run would exit with)."""

    def __init__(self, text, exit_code=None):
        self.text = text
        self.exit_code = exit_code
        m = _LOC.search(text)
        if m:
            self.file, self.line, self.col = m.group("file"), int(m.group("line")), int(m.group("col"))
            self.message = m.group("msg")
        else:
            n = _NOLOC.search(text)
            self.file, self.line, self.col = (n.group("file") if n else None), None, None
            self.message = n.group("msg") if n else text.strip()
        super().__init__(text.rstrip())


def _raise(err):
    raise ViError(err.message.decode("utf-8", "replace"), err.exit_code)


class Model:
    """A model file, parsed and checked once (errors raise ViError). Each
    fit binds its data to a fresh instance of the checked program."""

    def __init__(self, path):
        self.path = os.fspath(path)
        lib = _library()
        err = _lib.Error()
        self._h = lib.vi_api_model_load(self.path.encode(), ctypes.byref(err))
        if not self._h:
            _raise(err)
        self._lib = lib

    def __del__(self):
        h = getattr(self, "_h", None)
        if h:
            self._lib.vi_api_model_free(h)
            self._h = None

    def fit(self, data=None, algorithm=None, seed=None, **options):
        """Fits the model to data: a dict (scalars, 1-D arrays as columns,
        2-D arrays as columns X.1 .. X.K, text as levels), a pandas
        DataFrame (its columns, as a CSV file's), a path of a CSV or JSON
        file, or a list of these. Options are vi-run's (`iter=2000`,
        `output_samples=500`, `threads=2`, ...). Returns a Fit."""
        lib = self._lib
        err = _lib.Error()
        d = lib.vi_api_data_new()
        if not d:
            raise MemoryError("vi: out of memory")
        try:
            for part in (data if isinstance(data, (list, tuple)) else [data]):
                _add_data(lib, d, part, err)
            opts = []
            if algorithm is not None:
                opts.append(("algorithm", algorithm))
            if seed is not None:
                opts.append(("seed", seed))
            opts += list(options.items())
            keys = (ctypes.c_char_p * max(1, len(opts)))(*[k.encode() for k, _ in opts])
            vals = (ctypes.c_char_p * max(1, len(opts)))(*[_opt_text(v).encode() for _, v in opts])
            h = lib.vi_api_fit_run(self._h, d, len(opts), keys, vals, ctypes.byref(err))
            if not h:
                _raise(err)
            return Fit(lib, h)
        finally:
            lib.vi_api_data_free(d)


def fit(model, data=None, **options):
    """vi.fit("model.vim", data=df, seed=1): Model(model).fit(data, **options)."""
    return Model(model).fit(data, **options)


def _opt_text(v):
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, float):
        return repr(v)
    return str(v)


def _is_number(v):
    return isinstance(v, numbers.Number) and not isinstance(v, bool) or isinstance(v, (bool, np.bool_))


def _add_column(lib, d, name, values, err):
    arr = np.asarray(values)
    if arr.ndim == 2:
        for k in range(arr.shape[1]):
            _add_column(lib, d, "%s.%d" % (name, k + 1), arr[:, k], err)
        return
    if arr.ndim != 1:
        raise ValueError("vi: data '%s' has %d dimensions; give a column (1-D) or a matrix (2-D), "
                         "or a JSON file for arrays of more dimensions" % (name, arr.ndim))
    if arr.dtype.kind in "biuf":
        x = np.ascontiguousarray(arr, dtype=np.float64)
        rc = lib.vi_api_data_column(d, name.encode(), x.ctypes.data_as(ctypes.POINTER(ctypes.c_double)), len(x),
                                    ctypes.byref(err))
    else:
        cells = []
        numeric = True
        for v in arr.tolist():
            missing = v is None or (isinstance(v, float) and v != v)
            if not missing and not _is_number(v):
                numeric = False
            cells.append(None if missing else v)
        if numeric:
            x = np.array([np.nan if v is None else float(v) for v in cells], dtype=np.float64)
            rc = lib.vi_api_data_column(d, name.encode(), x.ctypes.data_as(ctypes.POINTER(ctypes.c_double)), len(x),
                                        ctypes.byref(err))
        else:
            txt = (ctypes.c_char_p * max(1, len(cells)))(
                *[None if v is None else (v if isinstance(v, str) else repr(v) if isinstance(v, float) else str(v)).encode()
                  for v in cells])
            rc = lib.vi_api_data_text(d, name.encode(), txt, len(cells), ctypes.byref(err))
    if rc:
        _raise(err)


def _add_data(lib, d, data, err):
    if data is None:
        return
    if isinstance(data, (str, os.PathLike)):
        if lib.vi_api_data_file(d, os.fspath(data).encode(), ctypes.byref(err)):
            _raise(err)
        return
    if _pd is not None and isinstance(data, _pd.DataFrame):
        for name in data.columns:
            col = data[name]
            if isinstance(col.dtype, _pd.CategoricalDtype):
                col = col.astype(object)
            _add_column(lib, d, str(name), col.to_numpy(), err)
        return
    if isinstance(data, dict):
        for name, v in data.items():
            if _is_number(v) or (isinstance(v, np.ndarray) and v.ndim == 0):
                if lib.vi_api_data_scalar(d, str(name).encode(), float(v), ctypes.byref(err)):
                    _raise(err)
            elif _pd is not None and isinstance(v, _pd.Series):
                _add_column(lib, d, str(name), v.astype(object).to_numpy() if isinstance(
                    v.dtype, _pd.CategoricalDtype) else v.to_numpy(), err)
            else:
                _add_column(lib, d, str(name), v, err)
        return
    raise TypeError("vi: data must be a dict, a pandas DataFrame, a file path, or a list of these; not %s"
                    % type(data).__name__)


_BLOCKS = {3: "parameters", 4: "transformed parameters", 6: "generated quantities"}


def _parse_index(name):
    """'Sigma[2,1]' -> ('Sigma', (2, 1)); 'mu' -> ('mu', ())."""
    b = name.find("[")
    if b < 0 or not name.endswith("]"):
        return name, ()
    try:
        return name[:b], tuple(int(t) for t in name[b + 1:-1].split(","))
    except ValueError:
        return name, ()


def _read_csv(text):
    """The --params table (the rows before a '# flow:' comment line)."""
    rows = list(csv.reader(io.StringIO(text)))
    head, body = rows[0], []
    for r in rows[1:]:
        if r and r[0].startswith("#"):
            break
        body.append(r)
    out = {}
    for j, h in enumerate(head):
        vals = [r[j] for r in body]
        if h in ("param", "label"):
            out[h] = vals
        else:
            out[h] = np.array([float(v) for v in vals])
    return out


class Fit:
    """The result of Model.fit: summary(), draws(), params, diagnostics,
    warnings, report(path)."""

    def __init__(self, lib, h):
        self._lib, self._h = lib, h
        P = lib.vi_api_fit_nout(h)
        self.names = [lib.vi_api_fit_name(h, i).decode() for i in range(P)]
        self.labels = [lib.vi_api_fit_label(h, i).decode() for i in range(P)]
        self.blocks = [_BLOCKS.get(lib.vi_api_fit_block(h, i), "other") for i in range(P)]
        S = lib.vi_api_fit_ndraws(h)
        ptr = lib.vi_api_fit_draws(h)
        self._draws = np.ctypeslib.as_array(ptr, shape=(S, P)).copy() if S and P else np.zeros((S, P))
        summ = np.zeros(max(1, 5 * P))
        lib.vi_api_fit_summary(h, summ.ctypes.data_as(ctypes.POINTER(ctypes.c_double)))
        self._summary = summ[:5 * P].reshape(P, 5)
        self.warnings = lib.vi_api_fit_warnings(h).decode()
        g = _lib.Diagnostics()
        lib.vi_api_fit_diagnostics(h, ctypes.byref(g))
        n = g.trace_n
        trace = {
            "iteration": np.array(g.trace_iter[:n], dtype=int) if n else np.zeros(0, dtype=int),
            "elbo": np.array(g.trace_elbo[:n]) if n else np.zeros(0),
            "draws": np.array(g.trace_draws[:n], dtype=int) if n else np.zeros(0, dtype=int),
        }
        self.diagnostics = {
            "algorithm": g.algorithm.decode(), "optimizer": g.optimizer.decode(), "fits": g.fits.decode(),
            "converged": bool(g.converged), "reason": g.reason.decode(), "elbo": g.elbo,
            "iterations": g.iterations, "grad_evals": g.grad_evals, "draws_m": g.draws_m,
            "mc_change": g.mc_change, "khat": g.khat, "verdict": g.verdict_text.decode(),
            "mean_shift": g.mean_shift, "sd_shift": g.sd_shift, "seconds": g.seconds,
            "dim": g.dim, "trace": trace,
        }
        pc = lib.vi_api_fit_params_csv(h)
        p = _read_csv(pc.decode()) if pc else {}
        self.params = _pd.DataFrame(p).set_index("param") if (_pd is not None and p) else p
        # --algorithm flow: the flow's parameters, by name (the rows after '# flow:')
        text = pc.decode() if pc else ""
        k = text.find("\n# flow:")
        self.flow_params = {}
        if k >= 0:
            for r in list(csv.reader(io.StringIO(text[k + 1:])))[1:]:
                if len(r) == 2:
                    self.flow_params[r[0]] = float(r[1])

    def __del__(self):
        h = getattr(self, "_h", None)
        if h:
            self._lib.vi_api_fit_free(h)
            self._h = None

    def summary(self):
        """One row per scalar element: mean, sd, q5, q50, q95 (and label when
        text levels name elements): a DataFrame indexed by name, or without
        pandas a dict of arrays with the names under 'param'."""
        cols = {"mean": self._summary[:, 0], "sd": self._summary[:, 1], "q5": self._summary[:, 2],
                "q50": self._summary[:, 3], "q95": self._summary[:, 4]}
        labelled = any(a != b for a, b in zip(self.names, self.labels))
        if _pd is None:
            out = {"param": list(self.names)}
            out.update(cols)
            if labelled:
                out["label"] = list(self.labels)
            return out
        df = _pd.DataFrame(cols, index=_pd.Index(self.names, name="param"))
        if labelled:
            df["label"] = self.labels
        return df

    def summary_csv(self):
        """The summary as vi-run --summary writes it (text, %.9g numbers)."""
        t = self._lib.vi_api_fit_summary_csv(self._h)
        if t is None:
            raise MemoryError("vi: out of memory")
        return t.decode()

    def draws(self):
        """The draws by variable: name -> array (draws, *shape), elements
        placed by their indices ("Sigma[2,1]" at [:, 1, 0])."""
        groups = {}
        for j, n in enumerate(self.names):
            base, idx = _parse_index(n)
            groups.setdefault(base, []).append((j, idx))
        out = {}
        S = self._draws.shape[0]
        for base, items in groups.items():
            if len(items) == 1 and items[0][1] == ():
                out[base] = self._draws[:, items[0][0]].copy()
                continue
            shape = tuple(max(ix[k] for _, ix in items) for k in range(len(items[0][1])))
            a = np.full((S,) + shape, np.nan)
            for j, ix in items:
                a[(slice(None),) + tuple(i - 1 for i in ix)] = self._draws[:, j]
            out[base] = a
        return out

    def report(self, path):
        """Writes the HTML report (as vi-run --report) to path."""
        err = _lib.Error()
        if self._lib.vi_api_fit_report(self._h, os.fspath(path).encode(), ctypes.byref(err)):
            _raise(err)
