"""GoEmotions emotion classifier: a Gradio app.

    python app.py                                         # the shipped model, http://127.0.0.1:7860
    python app.py --data_dir ../shared/data/goemotions    # with the test set for the analysis tabs
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", default=None, help="fine-tuned model folder (default: the shipped model)")
    parser.add_argument("--data_dir", default=os.environ.get("GOEMOTIONS_DIR"),
                        help="GoEmotions folder for the analysis tabs (default: $GOEMOTIONS_DIR, else the Hub)")
    parser.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
                        help="address to bind (default 127.0.0.1, this machine only); 0.0.0.0 serves the network")
    parser.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", 7860)))
    parser.add_argument("--share", action="store_true", help="also create a public gradio.live link")
    parser.add_argument("--thresholds", default=None,
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
    from emotion.ui.app import CSS, JS, THEME
    from emotion.ui.context import AppContext

    try:
        context = AppContext(args.checkpoint or DEFAULT_CHECKPOINT, args.data_dir, backend=args.backend, thresholds=args.thresholds)
        context.load()
        demo = build_app(context)
    except EmotionError as err:
        logging.getLogger("app").error("%s", err)
        sys.exit(1)
    demo.queue(default_concurrency_limit=4, max_size=64)
    try:
        demo.launch(server_name=args.host, server_port=args.port, share=args.share, css=CSS, js=JS, theme=THEME)
    except OSError as err:  # the port is taken, or the address cannot be bound
        logging.getLogger("app").error("Cannot serve on %s:%s (%s). Pass another port, e.g. --port %s.",
                                       args.host, args.port, str(err).split("\n")[0], args.port + 1)
        sys.exit(1)


if __name__ == "__main__":
    main()
