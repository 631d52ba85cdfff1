"""gunicorn's server hooks for the desk (deploy/gunicorn.sh passes ``--config``; its flags set the rest).

REPLACE_WORKER_AFTER: once a crowd of at least this many sockets (default 1,000) has left a worker and
none is open, gunicorn's master replaces the worker with a fresh one (``interaction.core.memory``); 0: never.
"""


def post_worker_init(worker):
    from interaction.core import memory

    memory.replace_worker_when_emptied(worker)
