"""Resolve a git conflict in the English catalog: union of both sides, then re-extract and compile.

Usage (during a merge): python scripts/merge_catalogs.py OURS_REF THEIRS_REF
Entries present on both sides with different translations keep ours and are listed on stderr.
"""

from __future__ import annotations

import io
import subprocess
import sys

from babel.messages.pofile import read_po, write_po

PO = "app/translations/en/LC_MESSAGES/messages.po"


def catalog_at(ref: str):
    text = subprocess.run(["git", "show", f"{ref}:{PO}"], check=True, capture_output=True).stdout
    return read_po(io.BytesIO(text))


def main(ours_ref: str, theirs_ref: str) -> None:
    ours, theirs = catalog_at(ours_ref), catalog_at(theirs_ref)
    for message in theirs:
        if not message.id:
            continue
        mine = ours.get(message.id, message.context)
        if mine is None:
            ours[message.id] = message
        elif mine.string != message.string and message.string:
            print(f"kept ours for {message.id!r}: {mine.string!r} (theirs: {message.string!r})", file=sys.stderr)
    with open(PO, "wb") as fh:
        write_po(fh, ours, width=120)
    subprocess.run(["pybabel", "-q", "extract", "-F", "babel.cfg", "-k", "_l", "-o",
                    "app/translations/messages.pot", "."], check=True)
    subprocess.run(["pybabel", "-q", "update", "-i", "app/translations/messages.pot", "-d", "app/translations",
                    "--no-fuzzy-matching", "-w", "120"], check=True)
    subprocess.run(["pybabel", "-q", "compile", "-d", "app/translations"], check=True)


if __name__ == "__main__":
    main(*sys.argv[1:3])
