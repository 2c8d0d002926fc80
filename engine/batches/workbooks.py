"""Saving ``.xlsx`` workbooks so that the same content always gives the same bytes.

openpyxl stamps each zip entry and the document properties with the time of saving; we
save to memory, then rewrite the archive with one fixed time (the evaluation date for a
decisions workbook), and move it into place only when it is complete.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

from ..errors import InputError, Location
from ..i18n.said import say

FIXED_TIME = datetime(1980, 1, 1)  # the earliest time a zip archive can record
_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")
_CREATED = re.compile(rb"(<dcterms:created[^>]*>)[^<]*(</dcterms:created>)")


def save_workbook(workbook: Any, path: Path, when: datetime = FIXED_TIME) -> None:
    """Save ``workbook`` at ``path`` (atomically), stamped with ``when`` instead of the clock."""
    when = max(when, FIXED_TIME)
    buffer = io.BytesIO()
    workbook.save(buffer)
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = _MODIFIED.sub(rb"\g<1>" + stamp + rb"\g<2>", data)
                data = _CREATED.sub(rb"\g<1>" + stamp + rb"\g<2>", data)
            entry = zipfile.ZipInfo(info.filename, date_time=when.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            target.writestr(entry, data)
    write_atomically(path, out.getvalue())


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file beside it, so a reader never sees half a file."""
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise InputError("cannot-write", say("the folder {folder} does not exist", folder=str(directory)), Location(str(path)))
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.chmod(temp, 0o644)
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise InputError("cannot-write", exc.strerror or str(exc), Location(str(path))) from None
