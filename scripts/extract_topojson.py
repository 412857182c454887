"""Extract one Natural Earth-derived topojson from plotly.js's dist/plotly-geo-assets.js.

Usage: npm pack plotly.js@<version>
       tar xzf plotly.js-<version>.tgz package/dist/plotly-geo-assets.js
       python scripts/extract_topojson.py package/dist/plotly-geo-assets.js europe_50m
Writes data/topojson/<name>.json (compact JSON). Needs node to evaluate the bundle.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

NODE = """
global.window = {}; global.self = global;
const assets = require(process.argv[1]);
const topo = (assets && assets.topojson) ? assets : window.Plotly;
process.stdout.write(JSON.stringify({version: topo.version, data: topo.topojson[process.argv[2]]}));
"""


def main(bundle: str, name: str) -> None:
    out = subprocess.run(
        ["node", "-e", NODE, str(Path(bundle).resolve()), name],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    payload = json.loads(out)
    if payload["data"] is None:
        raise SystemExit(f"{name} is not in {bundle}")
    target = ROOT / "data" / "topojson" / f"{name}.json"
    target.write_text(json.dumps(payload["data"], separators=(",", ":")), encoding="utf-8")
    print(f"wrote {target} ({target.stat().st_size:,} bytes) from plotly.js {payload['version']}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
