"""Build the static Space: a folder where the model runs in the visitor's browser, which a free Hugging
Face account can publish (Static Spaces need no paid plan) and any static host can serve.

    npm ci --prefix web                               # once: the page's pinned JavaScript packages
    python build_space.py space/                      # the shipped model
    python build_space.py space/ --data_dir ../shared/data/goemotions   # + Per class, Metrics, Errors
    python -m http.server -d space/ 8000              # try it (one thread: no COOP/COEP headers)
    hf upload YOU/NAME space/ . --repo-type space     # publish (docs/deploy.md)

--data_dir copies the GoEmotions test comments (CC BY 4.0, attributed on the page) into the folder;
--profile answers with a profile from adapt.py, its own labels included.
"""

import argparse
import logging


def parse_args(argv=None) -> argparse.Namespace:
    from emotion.cli import add_model_options

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out_dir", help="the folder to write (new, or an earlier build, which is replaced)")
    # No --backend: the page runs the int8 graph in the visitor's browser.
    add_model_options(parser, backend=False)
    parser.add_argument("--data_dir", default=None,
                        help="GoEmotions folder: adds the test-set views, with the test comments (CC BY 4.0)")
    return parser.parse_args(argv)


def build(args: argparse.Namespace) -> None:
    from emotion.ui.space import build

    built = build(args.out_dir, args.checkpoint, args.data_dir, args.profile)
    logging.getLogger("build_space").info(
        "Wrote %s: %d files, %.1f MB%s%s. Try it: python -m http.server -d %s 8000", built.folder, built.files,
        built.bytes / 1e6, ", with the test set" if built.with_data else "",
        f", profile {built.profile}" if built.profile else "", built.folder)


def main(argv=None) -> None:
    from emotion.cli import run

    args = parse_args(argv)
    run("build_space", lambda: build(args))


if __name__ == "__main__":
    main()
