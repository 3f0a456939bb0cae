#!/usr/bin/env bash
# Paydesk's one entry point.
#   ./paydesk.sh demo    install what is missing, build, and run the demo on http://127.0.0.1:3000
#   ./paydesk.sh test    install what is missing, then every check: fmt, clippy (ssr and hydrate),
#                        Rust unit and integration tests, Playwright end to end (Paydesk and the
#                        stripe-emulator's hosted Checkout), the emulator's webhook signatures
#                        verified by Stripe's Python library
#   ./paydesk.sh e2e [ARGS]   only the browser tests (builds the site first); ARGS go to
#                        Playwright, e.g. `./paydesk.sh e2e member_billing`
#   ./paydesk.sh sqlx-prepare   refresh .sqlx/ (compile-time query data) after changing SQL
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"

# Pinned tools (see docs/building.md for why these versions).
CARGO_LEPTOS_VERSION=0.3.10
WASM_BINDGEN_VERSION=0.2.130
# PyPI `stripe`, which checks the emulator's webhook signatures in a virtualenv outside the checkout.
STRIPE_PYTHON_VERSION=16.1.0
PY_VENV="$HOME/.cache/paydesk-venv"
# The key the end-to-end stripe-emulator accepts (any sk_test_ value would do).
EMULATOR_KEY=sk_test_paydesk_e2e
# One cargo target directory outside the checkout, so every clone and CI run reuses it.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/paydesk-target}"
export PATH="$HOME/.cargo/bin:$PATH"
# CI builds each fresh clone at a new path, so incremental caches are never reused there and
# only fill the disk (gigabytes per run).
[ "${CI:-}" = true ] && export CARGO_INCREMENTAL=0

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

apt_updated=
apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  if [ -z "$apt_updated" ]; then as_root apt-get update -qq; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

install_tools() {
  local with_browser=$1
  # poppler-utils: pdftotext for the invoice PDF tests.
  local pkgs=(postgresql pkg-config poppler-utils)
  [ "$with_browser" = yes ] && pkgs+=(chromium fonts-dejavu-core)
  apt_install "${pkgs[@]}"
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    log "adding the wasm32 target"
    rustup target add wasm32-unknown-unknown
  fi
  if ! cargo-leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
    log "installing cargo-leptos $CARGO_LEPTOS_VERSION (about 14 minutes, once)"
    cargo install cargo-leptos --locked --version "$CARGO_LEPTOS_VERSION"
  fi
  if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
    log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 2 minutes, once)"
    # Not --locked: its lock file names a crate version the registry no longer has.
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
  fi
  if [ ! -x end2end/node_modules/.bin/wasm-opt ] || [ ! -d end2end/node_modules/@playwright/test ] \
     || [ ! -d end2end/node_modules/@axe-core/playwright ]; then
    log "installing npm packages: Playwright (the browser is Debian's chromium) and binaryen's wasm-opt"
    (cd end2end && npm ci --no-audit --no-fund)
  fi
  # cargo-leptos takes wasm-opt from PATH; Debian's binaryen is too old (pages never hydrate).
  export PATH="$ROOT/end2end/node_modules/.bin:$PATH"
}

install_stripe_python() {
  "$PY_VENV/bin/python" -c "import stripe, sys; sys.exit(stripe.VERSION != '$STRIPE_PYTHON_VERSION')" \
    2>/dev/null && return 0
  apt_install python3-venv
  log "installing stripe $STRIPE_PYTHON_VERSION from PyPI into $PY_VENV"
  "$PY_VENV/bin/python" -c pass 2>/dev/null || python3 -m venv --clear "$PY_VENV"
  "$PY_VENV/bin/pip" install -q --disable-pip-version-check "stripe==$STRIPE_PYTHON_VERSION"
}

# Queries are checked at compile time against .sqlx/, so builds need no database.
export SQLX_OFFLINE=true
# leptos reads this at compile time to name the WASM file its pages load. cargo-leptos sets it;
# setting it for plain cargo too (clippy, tests) keeps their builds identical, so a server
# binary relinked by `cargo test` still serves pages that hydrate, and nothing rebuilds twice.
export LEPTOS_OUTPUT_NAME=paydesk

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

build_site() {
  log "building the app (cargo leptos build $*)"
  cargo leptos build "$@"
}

demo() {
  install_tools no
  build_site --release
  log "starting the demo (Ctrl-C stops it and its database)"
  export LEPTOS_SITE_ROOT="$ROOT/target/site"
  exec "$CARGO_TARGET_DIR/release/paydesk" demo --data-dir "$ROOT/.paydesk" "$@"
}

# wait_up URL PID: polls URL until it answers; fails when process PID exits first or after a minute.
wait_up() {
  local url=$1 pid=$2
  for _ in $(seq 1 120); do
    curl -fs "$url" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || { log "$url: the process exited before answering"; return 1; }
    sleep 0.5
  done
  log "$url did not answer within a minute"
  return 1
}

stop_process() {
  kill -TERM "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

check_webhook_signatures() {
  log "webhook signatures: the emulator's, verified by stripe-python $STRIPE_PYTHON_VERSION"
  "$PY_VENV/bin/python" emulator/scripts/verify_webhook_signatures.py --url "$1" --key "$EMULATOR_KEY"
}

run_e2e() {
  local dir port pid eport epid status=0
  # Arguments go to Playwright, e.g. a spec file name or `-g "title"`.
  dir="$(mktemp -d /tmp/paydesk-e2e.XXXXXX)"
  chmod 755 "$dir"   # as root the cluster runs as `postgres`, which must reach it
  # Built by `cargo test` above (the emulator has integration tests, so cargo builds its binary).
  [ -x "$CARGO_TARGET_DIR/debug/stripe-emulator" ] || cargo build -p stripe-emulator
  eport="$(free_port)"
  log "end to end: a stripe-emulator on port $eport"
  "$CARGO_TARGET_DIR/debug/stripe-emulator" --addr "127.0.0.1:$eport" --api-key "$EMULATOR_KEY" \
    >"$dir/emulator.log" 2>&1 &
  epid=$!
  port="$(free_port)"
  log "end to end: a throwaway demo on port $port"
  # Every spec works as the same demo member, faster than a person clicks: a budget of Stripe
  # calls above the default 60 a minute (server/tests/api/limits.rs tests the limit itself).
  PAYDESK_ADDR="127.0.0.1:$port" LEPTOS_SITE_ROOT="$ROOT/target/site" \
    PAYDESK_MEMBER_STRIPE_CALLS_PER_MINUTE=600 \
    "$CARGO_TARGET_DIR/debug/paydesk" demo --data-dir "$dir" --emulator-addr 127.0.0.1:0 \
    >"$dir/server.log" 2>&1 &
  pid=$!
  if wait_up "http://127.0.0.1:$eport/_emulator/clock" "$epid" &&
    wait_up "http://127.0.0.1:$port/healthz" "$pid"; then
    # PAYDESK_DEMO_DIR: the demo keeps its built-in emulator's key and URL there.
    (cd end2end && PAYDESK_URL="http://127.0.0.1:$port" PAYDESK_DEMO_DIR="$dir" \
      EMULATOR_URL="http://127.0.0.1:$eport" EMULATOR_KEY="$EMULATOR_KEY" npx playwright test "$@") ||
      status=$?
    check_webhook_signatures "http://127.0.0.1:$eport" || status=$?
    # No browser input may panic a request, and no page may break its own CSP: either would
    # pass unnoticed in a browser test, so the logs of the whole run are read for them.
    if grep -n 'panicked at' "$dir/server.log" "$dir/emulator.log"; then
      log "a request panicked during the end-to-end run (lines above)"
      status=1
    fi
    if grep -n 'CSP violation reported' "$dir/server.log"; then
      log "a page broke its Content-Security-Policy during the end-to-end run (lines above)"
      status=1
    fi
  else
    status=1
  fi
  stop_process "$pid"
  stop_process "$epid"
  if [ $status -ne 0 ]; then
    echo "--- server log ---"; tail -n 50 "$dir/server.log"
    echo "--- stripe-emulator log ---"; tail -n 50 "$dir/emulator.log"
  fi
  rm -rf "$dir"
  return $status
}

test_all() {
  install_tools yes
  install_stripe_python
  log "cargo fmt --check"
  cargo fmt --all -- --check
  log "clippy (ssr)"
  cargo clippy -p paydesk -p app --features app/ssr --all-targets -- -D warnings
  log "clippy (hydrate)"
  cargo clippy -p frontend -p app --features app/hydrate --target wasm32-unknown-unknown -- -D warnings
  if [ -f emulator/src/lib.rs ]; then
    log "clippy (emulator)"
    cargo clippy -p stripe-emulator --all-targets -- -D warnings
  fi
  build_site
  log "Rust unit and integration tests (each test binary starts its own Postgres)"
  cargo test --workspace --exclude frontend --features app/ssr
  run_e2e
  log "all checks passed"
}

# Throwaway Postgres for development chores (initdb refuses root, so as root it runs as postgres).
pg_throwaway() {
  local dir=$1 port=$2 bin
  bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)"
  local as=(); [ "$(id -u)" -eq 0 ] && { chown postgres: "$dir"; as=(runuser -u postgres --); }
  "${as[@]}" "$bin/initdb" -D "$dir/data" -U postgres -A trust --no-sync -E UTF8 --locale=C >/dev/null
  "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -w -l "$dir/log" -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off" start >/dev/null
  # Expanded now: the function's locals are gone when the trap runs.
  trap "${as[*]} $bin/pg_ctl -D $dir/data -m immediate stop >/dev/null; rm -rf $dir" EXIT
}

sqlx_prepare() {
  apt_install postgresql
  local dir port url
  dir="$(mktemp -d /tmp/paydesk-sqlx.XXXXXX)"
  port="$(free_port)"
  pg_throwaway "$dir" "$port"
  url="postgres://postgres@127.0.0.1:$port/postgres"
  for f in migrations/*.sql; do psql -q -v ON_ERROR_STOP=1 "$url" -f "$f" >/dev/null; done
  log "refreshing .sqlx/ against a throwaway database"
  rm -rf .sqlx && mkdir -p .sqlx
  touch app/src/lib.rs server/src/lib.rs
  SQLX_OFFLINE=false SQLX_OFFLINE_DIR="$ROOT/.sqlx" DATABASE_URL="$url" \
    cargo check -p paydesk --features app/ssr --all-targets
  log ".sqlx/ has $(ls .sqlx | wc -l) queries"
}

case "${1:-}" in
  demo) shift; demo "$@" ;;
  test) test_all ;;
  e2e) shift; install_tools yes; build_site; run_e2e "$@" ;;
  sqlx-prepare) sqlx_prepare ;;
  *) echo "usage: $0 demo | test | e2e | sqlx-prepare" >&2; exit 2 ;;
esac
