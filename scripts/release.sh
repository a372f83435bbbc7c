#!/usr/bin/env bash
# Prepare a release: bump the version, turn the CHANGELOG's [Unreleased] section into the release's, build the sdist
# and wheel into dist/ and check them with twine. Nothing is committed, tagged or uploaded: docs/releasing.md says
# what to do next.
#
#   bash scripts/release.sh 0.2.0
set -euo pipefail
cd "$(dirname "$0")/.."

version=${1:-}
if ! [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+([ab]|rc)?[0-9]*$ ]]; then
  echo "usage: bash scripts/release.sh X.Y.Z (a PEP 440 version: 0.2.0, 1.0.0rc1)" >&2
  exit 2
fi
if ! grep -q '^## \[Unreleased\]' CHANGELOG.md; then
  echo "CHANGELOG.md has no '## [Unreleased]' section to release" >&2
  exit 1
fi
if grep -q "^## \[$version\]" CHANGELOG.md; then
  echo "CHANGELOG.md already has a section for $version" >&2
  exit 1
fi

echo "== version $version"
printf '__version__ = "%s"\n' "$version" >infobip_2fa_async/_version.py

echo "== CHANGELOG.md: [Unreleased] becomes [$version] - $(date -u +%Y-%m-%d)"
python3 - "$version" <<'PY'
import datetime, pathlib, sys
path = pathlib.Path("CHANGELOG.md")
today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
text = path.read_text()
path.write_text(text.replace("## [Unreleased]", f"## [Unreleased]\n\n## [{sys.argv[1]}] - {today}", 1))
PY

echo "== python -m build (in a throwaway venv with build and twine)"
tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT
python3 -m venv "$tools/venv"
"$tools/venv/bin/python" -m pip install -q build twine
rm -rf dist
"$tools/venv/bin/python" -m build --outdir dist .

echo "== twine check"
"$tools/venv/bin/python" -m twine check --strict dist/*
ls -l dist
echo "Built $version: run the tests (bash .ci/run), then commit, tag v$version and upload (docs/releasing.md)."
