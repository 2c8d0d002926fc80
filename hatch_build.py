"""The wheel's build hook: every gettext catalogue ``engine/locale/*/LC_MESSAGES/*.po`` compiled to ``.mo``.

Compiled into a temporary directory and force-included beside its ``.po``, so the checkout never
holds a ``.mo`` that could fall behind its ``.po`` (``engine/i18n/catalogues.py`` reads the ``.po``
when there is no ``.mo``).  Babel is in ``[build-system] requires``; an editable install needs no
``.mo`` and gets none.  A ``.po`` that does not parse fails the build, naming the file.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CompileCatalogues(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        root = Path(self.root)
        self._out = tempfile.TemporaryDirectory(prefix="engage-mo-")
        out = Path(self._out.name)
        for po in sorted((root / "engine" / "locale").glob("*/LC_MESSAGES/*.po")):
            rel = po.relative_to(root).with_suffix(".mo")
            lang = po.parent.parent.name
            with po.open("rb") as handle:
                catalog = read_po(handle, locale=lang, domain=po.stem, abort_invalid=True)
            target = out / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("wb") as handle:
                write_mo(handle, catalog, use_fuzzy=False)
            build_data["force_include"][str(target)] = rel.as_posix()

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        out = getattr(self, "_out", None)
        if out is not None:
            out.cleanup()
