"""The desk with configuration overrides, for what-if measurements (``--desk-app bench.lib.desk_app:app``).

``BENCH_DESK_CONFIG`` holds a JSON object passed to ``create_app`` as extra configuration, e.g.
``{"MAILBOX_CODE_HASH_METHOD": "pbkdf2:sha256:1000"}`` to see what the query-code hash costs a
submission. The benchmark's table uses the real ``wsgi:app``.
"""

import json
import os

from interaction import create_app

app = create_app(json.loads(os.environ.get("BENCH_DESK_CONFIG") or "{}"))
