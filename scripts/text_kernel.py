"""An IPython profile whose kernels show a matplotlib figure as its text only.

    python scripts/text_kernel.py DIR     # writes DIR/profile_default/ipython_kernel_config.py
    IPYTHONDIR=DIR pytest chapters --nbval ...

With it, matplotlib's inline backend has no image format, so a figure cell's
output is the figure's text, ``<Figure size 750x740 with 4 Axes>``, exactly as the
committed notebooks hold it (their images are stripped), and no figure is drawn.
Drawing is about half of a chapter's run time. The passes that compare text only
use it (test-baseline and audit-fp: nbval does not compare images; the autograding
test: scores do not depend on figures); the first nbval pass, whose outputs the
book shows, and every reader's kernel draw their figures as usual.
"""
from __future__ import annotations

import sys
from pathlib import Path

CONFIG = """\
# written by scripts/text_kernel.py: figures as text only, no history database
c.InlineBackend.figure_formats = set()
c.HistoryManager.enabled = False
"""


def write(folder) -> Path:
    """Write the profile into ``folder`` (an IPYTHONDIR); return the folder."""
    folder = Path(folder)
    config = folder / "profile_default" / "ipython_kernel_config.py"
    config.parent.mkdir(parents=True, exist_ok=True)
    if not config.exists() or config.read_text() != CONFIG:
        config.write_text(CONFIG)
    return folder


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python scripts/text_kernel.py DIR")
    print(write(sys.argv[1]))
