#!/usr/bin/env bash
# Set up a fresh Debian machine for masthead: system libraries and fonts, then a virtualenv.
# Usage: ./setup.sh   (idempotent; run as root or with sudo available for the apt step)
set -euo pipefail
cd "$(dirname "$0")"

# WeasyPrint needs Pango; HarfBuzz's subsetter keeps PDFs small and fast to write.
# Java runs EPUBCheck; poppler and qpdf inspect PDFs in tests; the fonts are the default theme's.
# One group a line; add a package on a line of its own with why in a comment.
APT_PACKAGES=(
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig
  fonts-ebgaramond fonts-inter fonts-dejavu-core
  default-jre-headless poppler-utils qpdf chromium
  chromium-driver  # the preview's browser tests (Selenium); same version as chromium
  # Every script the theme's font stacks reach (Arabic, Hebrew, Indic, Thai…; CJK; emoji).
  fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji
)
# DAISY Ace (accessibility checker) runs on Node.js with Debian's Chromium.
command -v npm >/dev/null || APT_PACKAGES+=(nodejs npm)
# A JRE already on the machine will do: EPUBCheck only needs `java`.
command -v java >/dev/null && APT_PACKAGES=("${APT_PACKAGES[@]/default-jre-headless}")
PYTHON=${PYTHON:-python3}
# Debian's Python makes virtualenvs only with python3-venv (ensurepip and the pip it bundles).
command -v "$PYTHON" >/dev/null || APT_PACKAGES+=(python3)
"$PYTHON" -c 'import ensurepip' 2>/dev/null || APT_PACKAGES+=(python3-venv)

# apt-get, waiting (up to 10 minutes) for another apt or dpkg to let go of its lock rather than
# failing: DPkg::Lock::Timeout covers dpkg's locks; apt 2.6's `update` ignores it for the package
# lists' lock, so a lock error is retried here too.
apt_get() {
  local log deadline=$((SECONDS + 600))
  log=$(mktemp)
  until $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 "$@" 2>"$log"; do
    if grep -q "Could not get lock" "$log" && [ "$SECONDS" -lt "$deadline" ]; then
      echo "setup.sh: another apt or dpkg holds its lock; waiting" >&2
      sleep 5
    else
      cat "$log" >&2; rm -f "$log"; return 1
    fi
  done
  cat "$log" >&2; rm -f "$log"
}

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  [ -n "$pkg" ] || continue
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  apt_get update -qq
  apt_get install -y -qq --no-install-recommends "${missing[@]}"
fi
command -v java >/dev/null || { echo "setup.sh: java not found after install" >&2; exit 1; }
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
  echo "setup.sh: masthead needs Python 3.11 or later; run PYTHON=python3.11 ./setup.sh" >&2
  exit 1
}

[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
# The pip that comes with Python, not upgraded: the tests see what users' installs see
# (an editable install with hatchling needs pip 21.3 or later; Python 3.11 bundles 23.x).
.venv/bin/python -m pip install -q -e ".[test]"
# Bytecode for masthead's own modules (an editable install compiles none): every command
# starts 0.05-0.1 s sooner, even where PYTHONDONTWRITEBYTECODE is set.
.venv/bin/python -m compileall -q src
# Ace from npm without Puppeteer's own browser download (the machine has no network for it).
if [ ! -x .tools/node_modules/.bin/ace-cli ]; then
  PUPPETEER_SKIP_DOWNLOAD=1 npm install --silent --no-audit --no-fund --prefix .tools \
    @daisy/ace-cli@1.4.6 >/dev/null
fi
ln -sf "$PWD/.tools/node_modules/.bin/ace-cli" .venv/bin/ace-cli
echo "masthead is set up: .venv/bin/masthead --help"
