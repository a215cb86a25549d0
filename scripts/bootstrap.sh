#!/usr/bin/env bash
# Create or refresh .venv at the repository root with ocsim and its test tools installed, at the
# versions pinned in requirements.lock (so a fresh machine runs what CI ran).
# Finds a Python >= 3.12: pyenv's (via .python-version), python3.13, python3.12 or python3.
# Also caches the dashboard's front-end files (npm packages Solara would fetch from a CDN) inside
# .venv, so that `ocsim dashboard` works offline; without npm or the npm registry this is skipped
# with a warning.
set -euo pipefail
cd "$(dirname "$0")/.."

pick_python() {
  for candidate in python3 python3.13 python3.12 python; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  echo "ocsim needs Python >= 3.12 (Mesa 3.5); none found on PATH" >&2
  return 1
}

cache_assets() {
  # Cheap when the cache is complete (it only checks the files), so it runs every time: a wiped
  # cache is refilled even when the environment itself is up to date.
  if command -v npm >/dev/null 2>&1; then
    .venv/bin/python -m simulation.dashboard.assets >/dev/null ||
      echo "warning: the dashboard's front-end files could not be cached (see above)" >&2
  else
    echo "warning: npm not found; the dashboard's front-end files are not cached" \
         "(ocsim dashboard fetches them with npm when it starts)" >&2
  fi
}

stamp=.venv/.ocsim-installed
want=$(cat pyproject.toml requirements.lock | sha256sum | cut -d' ' -f1)
if [ -x .venv/bin/python ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  cache_assets
  exit 0
fi
python=$(pick_python)
echo "setting up .venv with $($python --version)" >&2
"$python" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
# exactly the versions CI ran (requirements.lock, refreshed by `make upgrade`), then ocsim itself
.venv/bin/python -m pip install --quiet -r requirements.lock
.venv/bin/python -m pip install --quiet --no-deps -e .
cache_assets
echo "$want" > "$stamp"
