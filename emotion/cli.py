"""What every command shares (app.py, score.py, adapt.py, audit.py, probe.py, compare.py, build_space.py,
train_model.py): the model options, logging set up once, and one way to fail.

A user error (a bad file or format, a missing optional package, an unwritable folder, a damaged
checkpoint) is one line naming the fix and exit status 1; a bad argument is argparse's usage line and
exit status 2; Ctrl-C is one line and 130. Nothing a user does prints a traceback.
"""

from __future__ import annotations

import argparse
import errno
import logging
import socket
import sys
from collections.abc import Callable
from pathlib import Path

from .serve.backends import AUTO, names
from .errors import EmotionError
from .logs import setup_logging

FAILED, INTERRUPTED = 1, 130  # a usage error is argparse's own exit status 2


def positive(kind: type = int, low: float = 0, at_least: bool = False) -> Callable[[str], int | float]:
    """An argparse type for a number above zero (``at_least``: from ``low`` on), refused where it is parsed."""
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a{' whole' if kind is int else ''} number, got {text!r}") from None
        if not (value >= low if at_least else value > low):
            raise argparse.ArgumentTypeError(f"must be {'from' if at_least else 'above'} {low}{' on' if at_least else ''}"
                                             f", got {text}")
        return value

    return parse


def non_negative(text: str) -> int:
    """An argparse type for a whole number from 0 on (a seed)."""
    return positive(int, 0, at_least=True)(text)


def writable_file(text: str) -> Path:
    """An argparse type for a file to write: its folder must exist (checked before any work is done)."""
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder; give a file name")
    if not path.parent.is_dir():
        raise argparse.ArgumentTypeError(f"the folder {path.parent} does not exist; create it first or give another path")
    return path


def add_model_options(parser: argparse.ArgumentParser, profile: bool = True, backend_help: str = "",
                      backend: bool = True, checkpoint_help: str = "") -> None:
    """--checkpoint, --backend (every registered backend; left out where ``backend`` is False: a command that
    reads stored probabilities runs no model) and, for the commands that answer, --profile."""
    parser.add_argument("--checkpoint", default=None,
                        help=checkpoint_help or "fine-tuned model folder (default: the shipped model)")
    if backend:
        parser.add_argument("--backend", default=AUTO, choices=[AUTO, *names()],
                            help=backend_help or "auto: the one chosen on dev and recorded in the checkpoint (inference.json)")
    if profile:
        parser.add_argument("--profile", "--thresholds", dest="profile", default=None,
                            help="a profile from adapt.py: its thresholds, heads and new labels (--thresholds is "
                                 "its old name; default: the checkpoint's tuned thresholds)")


def run(name: str, main: Callable[[], object]) -> None:
    """Run a command's ``main`` with logging set up, turning every user error into one line."""
    setup_logging()
    log = logging.getLogger(name)
    try:
        main()
    except KeyboardInterrupt:
        log.error("Interrupted.")
        sys.exit(INTERRUPTED)
    except ImportError as err:  # an optional package that this use needs
        log.error("%s needs the package %s: install it (pip install %s, or the extra requirements file that "
                  "lists it).", name, err.name or err, err.name or "...")
        sys.exit(FAILED)
    except (EmotionError, ValueError) as err:
        log.error("%s", err)
        sys.exit(FAILED)
    except OSError as err:
        where = f" {err.filename}" if getattr(err, "filename", None) else ""
        log.error("Cannot read or write%s: %s. Check the path and its permissions.", where,
                  err.strerror or err)
        sys.exit(FAILED)


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on now (tests and benchmarks start the app there)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_number(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"a port is a whole number from 1 to 65535, not {text!r}")
    return int(text)


def address_problem(host: str, port: int) -> str | None:
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
