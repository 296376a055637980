"""How Coop holds up over HTTP: `python bench/http.py` (the bench itself is in
bench/_http_bench.py: its docstring says what it does and prints).

This file's name is also the standard library's `http` package, and a script
in bench/ has bench/ first on its path: when something imports `http` (Flask
does), it finds this file. It then loads the real package in its place, so
that every script here keeps working."""

import sys

if __name__ == "http":
    import importlib.machinery
    import importlib.util
    import os

    _spec = importlib.machinery.PathFinder.find_spec("http", [os.path.dirname(os.__file__)])
    assert _spec is not None and _spec.loader is not None
    _real = importlib.util.module_from_spec(_spec)
    sys.modules["http"] = _real
    _spec.loader.exec_module(_real)
elif __name__ == "__main__":
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from bench._http_bench import main

    main()
