"""GoEmotions emotion classifier: a Gradio app.

    python app.py                                         # the shipped model, http://127.0.0.1:7860
    python app.py --data_dir ../shared/data/goemotions    # with the test set for the analysis tabs
"""

from __future__ import annotations

import argparse
import errno
import logging
import os
import socket
import sys

# Telemetry is off unless the person turns it on (set these to True / 0 before starting).
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

def port_number(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"a port is a whole number from 1 to 65535, not {text!r}")
    return int(text)


def check_address(host: str, port: int) -> str | None:
    """Why ``host:port`` cannot be served, with the fix, or None: checked before Gradio starts, whose own
    message blames the port for an address that is not on this machine."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as err:
        return f"--host {host} is not an address of this machine ({err.strerror}). Use 127.0.0.1, or 0.0.0.0 for every network."
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as err:
            if err.errno == errno.EADDRINUSE:
                return f"Port {port} on {host} is in use. Pass another port, e.g. --port {port + 1}."
            return (f"Cannot serve on {host}:{port} ({err.strerror}). Use --host 127.0.0.1 (this machine) or 0.0.0.0 "
                    "(every network).")
    return None


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", default=None, help="fine-tuned model folder (default: the shipped model)")
    parser.add_argument("--data_dir", default=os.environ.get("GOEMOTIONS_DIR"),
                        help="GoEmotions folder for the analysis tabs (default: $GOEMOTIONS_DIR, else the Hub)")
    parser.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
                        help="address to bind (default: $GRADIO_SERVER_NAME when set, as on a Space, else 127.0.0.1, this "
                             "machine only); 0.0.0.0 serves the network")
    parser.add_argument("--port", type=port_number, default=os.environ.get("GRADIO_SERVER_PORT", "7860"),
                        help="port to serve on (default 7860, or $GRADIO_SERVER_PORT)")
    parser.add_argument("--share", action="store_true", help="also create a public gradio.live link")
    parser.add_argument("--profile", "--thresholds", dest="profile", default=None,
                        help="a threshold profile from adapt.py for the Predict tab and the API (default: the checkpoint's)")
    parser.add_argument("--backend", default="auto", choices=["auto", "torch", "onnx", "onnx-int8"],
                        help="auto: the one chosen on dev and recorded in the checkpoint (inference.json)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    from emotion.logs import setup_logging

    setup_logging()
    from emotion.checkpoint import DEFAULT_CHECKPOINT
    from emotion.errors import EmotionError
    from emotion.ui import build_app
    from emotion.ui.app import CSS, JS, THEME, Serving, serve
    from emotion.ui.inputs import Limits
    from emotion.ui.context import AppContext

    problem = check_address(args.host, args.port)
    if problem:
        logging.getLogger("app").error("%s", problem)
        sys.exit(1)
    try:
        context = AppContext(args.checkpoint or DEFAULT_CHECKPOINT, args.data_dir, backend=args.backend,
                             thresholds=args.profile, index_at_start=True)
        context.load()
        demo = build_app(context)
    except EmotionError as err:
        logging.getLogger("app").error("%s", err)
        sys.exit(1)
    try:
        serve(demo, Serving(), Limits(), server_name=args.host, server_port=args.port, share=args.share, css=CSS, js=JS,
              theme=THEME)
    except OSError as err:  # the port is taken, or the address cannot be bound
        logging.getLogger("app").error("Cannot serve on %s:%s (%s). Pass another port, e.g. --port %s.",
                                       args.host, args.port, str(err).split("\n")[0], args.port + 1)
        sys.exit(1)


if __name__ == "__main__":
    main()
