"""ctypes declarations of libvi's interface for other languages (include/vi/api.h)."""
import ctypes
import ctypes.util
import glob
import os
import shutil
import sysconfig

_ERRLEN = 16384


class Error(ctypes.Structure):
    _fields_ = [("status", ctypes.c_int), ("exit_code", ctypes.c_int), ("message", ctypes.c_char * _ERRLEN)]


class Diagnostics(ctypes.Structure):
    _fields_ = [
        ("elbo", ctypes.c_double), ("khat", ctypes.c_double), ("mean_shift", ctypes.c_double),
        ("sd_shift", ctypes.c_double), ("seconds", ctypes.c_double), ("mc_change", ctypes.c_double),
        ("grad_evals", ctypes.c_long),
        ("converged", ctypes.c_int), ("iterations", ctypes.c_int), ("draws_m", ctypes.c_int),
        ("verdict", ctypes.c_int),
        ("dim", ctypes.c_size_t), ("trace_n", ctypes.c_size_t),
        ("trace_iter", ctypes.POINTER(ctypes.c_int)), ("trace_draws", ctypes.POINTER(ctypes.c_int)),
        ("trace_elbo", ctypes.POINTER(ctypes.c_double)),
        ("algorithm", ctypes.c_char * 32), ("optimizer", ctypes.c_char * 32), ("verdict_text", ctypes.c_char * 128),
        ("reason", ctypes.c_char * 256), ("fits", ctypes.c_char * 192),
    ]


def _candidates():
    """Where libvi.so is looked for, in order."""
    env = os.environ.get("VI_LIBRARY")
    if env:
        yield env
    here = os.path.dirname(os.path.abspath(__file__))
    yield from sorted(glob.glob(os.path.join(here, "libvi.so*")))
    prefixes = []
    run = shutil.which("vi-run")
    if run:
        prefixes.append(os.path.dirname(os.path.dirname(os.path.realpath(run))))
    prefixes += ["/usr/local", os.path.expanduser("~/.local"), "/usr"]
    multiarch = sysconfig.get_config_var("MULTIARCH") or "x86_64-linux-gnu"
    for p in prefixes:
        for sub in ("lib/" + multiarch, "lib", "lib64"):
            yield os.path.join(p, sub, "libvi.so")
    found = ctypes.util.find_library("vi")
    if found:
        yield found


def load():
    tried = []
    for path in _candidates():
        if not (os.path.exists(path) or "/" not in path):
            tried.append(path)
            continue
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            tried.append("%s (%s)" % (path, e))
            continue
        if hasattr(lib, "vi_api_fit_run"):
            _declare(lib)
            lib._vi_path = path
            return lib
        tried.append(path + " (not vi's library)")
    raise OSError("cannot find libvi.so (build it with `meson setup build && ninja -C build`, then "
                  "`meson install -C build`, or set VI_LIBRARY to build/python/libvi.so); tried: " + ", ".join(tried))


def _declare(lib):
    P, c = ctypes.c_void_p, ctypes
    E = c.POINTER(Error)
    sig = {
        "vi_api_model_load": (P, [c.c_char_p, E]),
        "vi_api_model_free": (None, [P]),
        "vi_api_data_new": (P, []),
        "vi_api_data_free": (None, [P]),
        "vi_api_data_column": (c.c_int, [P, c.c_char_p, c.POINTER(c.c_double), c.c_size_t, E]),
        "vi_api_data_text": (c.c_int, [P, c.c_char_p, c.POINTER(c.c_char_p), c.c_size_t, E]),
        "vi_api_data_scalar": (c.c_int, [P, c.c_char_p, c.c_double, E]),
        "vi_api_data_file": (c.c_int, [P, c.c_char_p, E]),
        "vi_api_fit_run": (P, [P, P, c.c_int, c.POINTER(c.c_char_p), c.POINTER(c.c_char_p), E]),
        "vi_api_fit_free": (None, [P]),
        "vi_api_fit_nout": (c.c_size_t, [P]),
        "vi_api_fit_name": (c.c_char_p, [P, c.c_size_t]),
        "vi_api_fit_label": (c.c_char_p, [P, c.c_size_t]),
        "vi_api_fit_block": (c.c_int, [P, c.c_size_t]),
        "vi_api_fit_ndraws": (c.c_size_t, [P]),
        "vi_api_fit_draws": (c.POINTER(c.c_double), [P]),
        "vi_api_fit_summary": (None, [P, c.POINTER(c.c_double)]),
        "vi_api_fit_summary_csv": (c.c_char_p, [P]),
        "vi_api_fit_params_csv": (c.c_char_p, [P]),
        "vi_api_fit_warnings": (c.c_char_p, [P]),
        "vi_api_fit_diagnostics": (None, [P, c.POINTER(Diagnostics)]),
        "vi_api_fit_report": (c.c_int, [P, c.c_char_p, E]),
    }
    for name, (res, args) in sig.items():
        fn = getattr(lib, name)
        fn.restype = res
        fn.argtypes = args
