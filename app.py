"""GoEmotions emotion classifier: a Gradio app.

    python app.py                                         # the shipped model, http://127.0.0.1:7860
    python app.py --data_dir ../shared/data/goemotions    # with the test set for the analysis tabs
"""

from __future__ import annotations

import argparse
import os

# Telemetry is off unless the person turns it on (set these to True / 0 before starting).
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    from emotion.cli import add_model_options, port_number

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_model_options(parser)
    parser.add_argument("--data_dir", default=os.environ.get("GOEMOTIONS_DIR"),
                        help="GoEmotions folder for the analysis tabs (default: $GOEMOTIONS_DIR, else the Hub)")
    parser.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
                        help="address to bind (default: $GRADIO_SERVER_NAME when set, as on a Space, else 127.0.0.1, this "
                             "machine only); 0.0.0.0 serves the network")
    parser.add_argument("--port", type=port_number, default=os.environ.get("GRADIO_SERVER_PORT", "7860"),
                        help="port to serve on (default 7860, or $GRADIO_SERVER_PORT)")
    parser.add_argument("--share", action="store_true", help="also create a public gradio.live link")
    return parser.parse_args(argv)


def serve_app(args: argparse.Namespace) -> None:
    from emotion.checkpoint import DEFAULT_CHECKPOINT
    from emotion.cli import address_problem
    from emotion.errors import EmotionError
    from emotion.ui import build_app
    from emotion.ui.server import CSS, JS, THEME, Serving, serve
    from emotion.ui.context import AppContext
    from emotion.ui.inputs import Limits

    problem = address_problem(args.host, args.port)
    if problem:
        raise EmotionError(problem)
    context = AppContext(args.checkpoint or DEFAULT_CHECKPOINT, args.data_dir, backend=args.backend,
                         profile=args.profile, index_at_start=True)
    context.load()
    serving, limits = Serving(), Limits()
    demo = build_app(context, limits, serving)
    try:
        serve(demo, serving, limits, server_name=args.host, server_port=args.port, share=args.share, css=CSS, js=JS,
              theme=THEME)
    except OSError as err:  # taken between the check and the start
        raise EmotionError(f"Cannot serve on {args.host}:{args.port} ({str(err).splitlines()[0]}). "
                           f"Pass another port, e.g. --port {args.port + 1}.") from None


def main(argv: list[str] | None = None) -> None:
    from emotion.cli import run

    args = parse_args(argv)
    run("app", lambda: serve_app(args))


if __name__ == "__main__":
    main()
