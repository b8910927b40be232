"""Write the speller's word list (emotion/spelling_words.txt) from the wordfreq package.

    pip install wordfreq==3.1.1
    python scripts/spelling_words.py                  # FLOOR from emotion/text.py
    python scripts/spelling_words.py --floor 3.5 --out /tmp/words.txt

wordfreq is needed here only: the list is committed, and the library, app, tests and static Space read it.
Changing emotion.text.FLOOR means running this again (tests/test_spell.py checks that the two agree).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from emotion import cli, text  # noqa: E402

log = logging.getLogger("spelling_words")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--floor", type=float, default=text.FLOOR,
                        help="lowest Zipf frequency kept (default: %(default)s)")
    parser.add_argument("--top_n", type=cli.positive(int), default=200_000, help="wordfreq words looked at")
    parser.add_argument("--out", type=cli.writable_file, default=text.SPELLING_WORDS, help="file to write")
    args = parser.parse_args()

    def write() -> None:
        words, header = text.select_spelling_words(args.floor, args.top_n)
        text.write_spelling_words(args.out, words, header)
        log.info("%d words at Zipf >= %s written to %s", len(words), args.floor, args.out)

    cli.run("spelling_words.py", write)


if __name__ == "__main__":
    main()
