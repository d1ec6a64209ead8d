"""PDF from the report's HTML with WeasyPrint (needs pango; `setup.sh` installs it as root)."""

from __future__ import annotations

import logging

from repro.errors import ReproError


def pdf_bytes(html: str) -> bytes:
    """The PDF of `html`; a missing WeasyPrint or pango is one clear error."""
    try:
        import weasyprint
    except (ImportError, OSError) as error:  # OSError: pango/harfbuzz shared libraries missing
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ReproError(
            f"PDF needs WeasyPrint and its system libraries (pango): {first_line}; "
            "install them (see setup.sh) or use --format html"
        ) from None
    for name in ("weasyprint", "fontTools"):  # font-subsetting chatter, not news for the user
        logging.getLogger(name).setLevel(logging.ERROR)
    return weasyprint.HTML(string=html).write_pdf()
