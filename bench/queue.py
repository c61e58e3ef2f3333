"""Claim-next latency with 10 thousand and 1 million stored tips: ``python -m bench.queue`` or
``python bench/queue.py`` runs ``bench/claim_latency.py`` (read it for what is measured).

This file has the name issue 12 gives it, which is also the standard library's ``queue``: a
script run as ``python bench/<name>.py`` has ``bench/`` first on its path, so its ``import queue``
(``concurrent.futures``, ``psycopg`` and ``logging.handlers`` import it) finds this file.  Imported
under that name, it loads the real module in its place, and nothing else.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "queue":
    import importlib.util
    import sysconfig

    _SPEC = importlib.util.spec_from_file_location("queue", Path(sysconfig.get_paths()["stdlib"]) / "queue.py")
    assert _SPEC is not None and _SPEC.loader is not None
    _REAL = importlib.util.module_from_spec(_SPEC)
    sys.modules["queue"] = _REAL  # what ``import queue`` hands back once this file has run
    _SPEC.loader.exec_module(_REAL)
elif __name__ == "__main__":
    ROOT = Path(__file__).resolve().parents[1]
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from bench.claim_latency import main

    raise SystemExit(main())
