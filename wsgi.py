"""Entry point: ``app`` for WSGI servers, ``python wsgi.py`` to serve for development."""

import argparse

from interaction import create_app
from interaction.core.extensions import socketio

app = create_app()

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Serve the interaction desk (pages, API, Socket.IO).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    args = parser.parse_args()
    socketio.run(app, host=args.host, port=args.port, debug=app.debug, use_reloader=False,
                 allow_unsafe_werkzeug=True)
