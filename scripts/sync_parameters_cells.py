"""Rewrite every chapter notebook's parameters cell from the schema (`make notebooks`)."""

from __future__ import annotations

import nbformat

from deepstrike import paths
from deepstrike.chapter import parameters_source
from deepstrike.chapters import CHAPTERS


def main() -> None:
    for chapter in CHAPTERS:
        path = paths.notebooks_dir() / chapter.notebook
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if "parameters" in cell.metadata.get("tags", []):
                cell.source = parameters_source(chapter)
                cell.outputs, cell.execution_count = [], None
        nbformat.write(nb, path)
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
