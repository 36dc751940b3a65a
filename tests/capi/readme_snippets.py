#!/usr/bin/env python3
"""The integration guide quotes only compiled code: every fenced block after
a `<!-- snippet: PATH -->` line in client_lib/README.md must appear, line
for line, in PATH (relative to client_lib/), which ctest compiles.
  readme_snippets.py CLIENT_LIB_DIR"""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1])
text = (root / "README.md").read_text()
blocks = re.findall(r"<!-- snippet: (\S+) -->\n```\w*\n(.*?)```", text, re.S)
if not blocks:
    print("readme_snippets: FAIL: no snippet blocks found")
    sys.exit(1)
bad = 0
for path, block in blocks:
    source = (root / path).read_text()
    if block not in source:
        print(f"readme_snippets: FAIL: a block quoted from {path} is not in that file:\n{block}")
        bad += 1
print(f"readme_snippets: {len(blocks) - bad} of {len(blocks)} quoted blocks match their compiled files")
sys.exit(1 if bad else 0)
