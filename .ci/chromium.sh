#!/usr/bin/env bash
# A real headless Chromium for the browser tests (tests/browser): /docs and /redoc, the playground,
# and the analyzer's HTML report opened from file://. Playwright for Python drives it (the `dev`
# extra); the browser is Debian's `chromium` package, installed here when missing (as root, with
# apt-get), never Playwright's own download (`playwright install` is not used).
#
# When it cannot (not root, no apt-get, no network), it says so on standard error and exits 0: the
# browser tests are then skipped, and pytest lists them as skipped. With CI=true a Chromium that
# cannot be had is a failure (exit 1): CI skips nothing. The tests look for the browser at
# EENVOUD_CHROMIUM, else /usr/bin/chromium.
set -uo pipefail

BROWSER=${EENVOUD_CHROMIUM:-/usr/bin/chromium}

say() { echo "chromium.sh: $*" >&2; }

cannot() {
  if [ "${CI:-}" = "true" ]; then
    say "error: $* (CI=true: Chromium is required, the browser tests must not be skipped)"
    exit 1
  fi
  say "skipping the browser tests (tests/browser): $*"
  exit 0
}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo -n "$@"; else return 1; fi; }

if [ ! -x "$BROWSER" ]; then
  [ -z "${EENVOUD_CHROMIUM:-}" ] || cannot "EENVOUD_CHROMIUM=$EENVOUD_CHROMIUM is not an executable"
  command -v apt-get >/dev/null || cannot "Chromium is not installed at $BROWSER and there is no apt-get to install it"
  say "installing Chromium (apt-get install chromium)"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 \
    && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >&2 \
    || cannot "could not install the Debian package chromium (needs root and network)"
  [ -x "$BROWSER" ] || cannot "the package chromium is installed but $BROWSER is not there"
fi

version=$("$BROWSER" --version 2>/dev/null | head -n 1)
[ -n "$version" ] || cannot "$BROWSER does not run (\`$BROWSER --version\` printed nothing)"
python=${PYTHON:-.venv/bin/python}
if [ -x "$python" ] && ! "$python" -c 'import playwright.sync_api' 2>/dev/null; then
  cannot "Playwright for Python is not installed in $python (pip install -e '.[dev]')"
fi
say "$version at $BROWSER"
