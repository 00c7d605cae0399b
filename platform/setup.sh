#!/usr/bin/env bash
# Idempotent bootstrap used by `make run` and `make test`:
#   1. .venv (created with python3 >= 3.11 when missing),
#   2. pip install -r requirements.txt, only when requirements.txt changed since last time,
#   3. npm ci, only when package-lock.json changed since node_modules was installed,
#   4. .env with a generated DJANGO_SECRET_KEY, dev S3 credentials and localstripe's keys
#      (STRIPE_WEBHOOK_SECRET included), only for keys it lacks.
# A second run with nothing changed touches no network and takes well under a second.
#
# Environment: PYTHON (interpreter used to create .venv, default python3).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

VENV=.venv
PYTHON=${PYTHON:-python3}
REQUIREMENTS_STAMP="$VENV/.requirements.sha256"
NPM_STAMP=node_modules/.package-lock.sha256
ENV_FILE=.env

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

# Hash with Python so the script behaves the same on Linux (sha256sum) and macOS (shasum).
file_hash() { "$VENV/bin/python" -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())' "$1"; }

# --- 1. virtualenv -----------------------------------------------------------------------
if [ ! -x "$VENV/bin/python" ]; then
    command -v "$PYTHON" >/dev/null 2>&1 \
        || die "$PYTHON not found: install Python 3.11 (Debian/Ubuntu: apt-get install python3 python3-venv) or set PYTHON=/path/to/python3.11"
    "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
        || die "$("$PYTHON" -V 2>&1) is too old: Python 3.11 or newer is needed (set PYTHON=/path/to/python3.11)"
    say "creating $VENV with $("$PYTHON" -V 2>&1)"
    "$PYTHON" -m venv "$VENV" \
        || die "could not create $VENV (Debian/Ubuntu: apt-get install python3-venv)"
elif ! "$VENV/bin/python" -c '' >/dev/null 2>&1; then
    # Typically the Python it was made from was upgraded or removed.
    die "$VENV/bin/python does not run; delete $VENV and run this again"
fi

# --- 2. Python requirements ---------------------------------------------------------------
[ -f requirements.txt ] || die "requirements.txt is missing"
requirements_hash=$(file_hash requirements.txt)
if [ "$(cat "$REQUIREMENTS_STAMP" 2>/dev/null)" != "$requirements_hash" ]; then
    say "installing requirements.txt into $VENV"
    "$VENV/bin/python" -m pip install --disable-pip-version-check --quiet -r requirements.txt \
        || die "pip install -r requirements.txt failed (output above)"
    # Written only after success, so a failed install is retried next time.
    printf '%s\n' "$requirements_hash" > "$REQUIREMENTS_STAMP"
else
    say "requirements.txt unchanged; $VENV is up to date"
fi

# --- 3. front-end packages ---------------------------------------------------------------
if [ -f package.json ]; then
    [ -f package-lock.json ] || die "package.json has no package-lock.json: run 'npm install' once and commit the lock"
    lock_hash=$(file_hash package-lock.json)
    # npm ci empties node_modules first, so the stamp inside it can only survive a
    # successful install of exactly this lock.
    if [ "$(cat "$NPM_STAMP" 2>/dev/null)" != "$lock_hash" ]; then
        command -v npm >/dev/null 2>&1 \
            || die "npm not found: install Node.js 20 with npm (needed for the front-end packages in package.json)"
        say "installing front-end packages (npm ci)"
        npm ci --no-audit --no-fund --loglevel=error || die "npm ci failed (output above)"
        printf '%s\n' "$lock_hash" > "$NPM_STAMP"
    else
        say "package-lock.json unchanged; node_modules is up to date"
    fi
else
    say "no package.json; skipping npm ci"
fi

# --- 4. .env ------------------------------------------------------------------------------
# Only keys the file lacks are added; existing values, the user's own lines and the block
# platform/preflight.py manages are never touched.
random_token() { "$VENV/bin/python" -c 'import secrets,sys; print(secrets.token_urlsafe(int(sys.argv[1])))' "$1"; }
has_key() { [ -f "$ENV_FILE" ] && grep -Eq "^(export )?$1=" "$ENV_FILE"; }

added=()
add_key() {
    local key=$1 value=$2
    has_key "$key" && return 0
    if [ ! -f "$ENV_FILE" ]; then
        (umask 077 && printf '# Local development settings, written by platform/setup.sh.\n# Real environment variables take precedence over these. Never commit this file.\n' > "$ENV_FILE")
    fi
    # Keep the file ending in a newline before appending.
    if [ -s "$ENV_FILE" ] && [ "$(tail -c 1 "$ENV_FILE")" != "" ]; then echo >> "$ENV_FILE"; fi
    printf '%s=%s\n' "$key" "$value" >> "$ENV_FILE"
    added+=("$key")
}
# token_urlsafe only yields [A-Za-z0-9_-], so the values need no quoting and contain no
# '$' (django-environ would treat that as a reference to another variable).
add_key DJANGO_SECRET_KEY "$(random_token 50)"
add_key AWS_ACCESS_KEY_ID "dev-$(random_token 12)"
add_key AWS_SECRET_ACCESS_KEY "$(random_token 30)"
# Keys for localstripe, the fake Stripe `make run` starts (platform/preflight.py starts it
# while STRIPE_SECRET_KEY begins with sk_test_local); put your real keys here to sell.
add_key STRIPE_SECRET_KEY "sk_test_local_$(random_token 12)"
add_key STRIPE_PUBLISHABLE_KEY "pk_test_local_$(random_token 12)"
add_key STRIPE_WEBHOOK_SECRET "whsec_$(random_token 24)"
if [ ${#added[@]} -gt 0 ]; then
    say "wrote ${added[*]} to $ENV_FILE"
else
    say "$ENV_FILE already has a secret key and dev S3 credentials"
fi
