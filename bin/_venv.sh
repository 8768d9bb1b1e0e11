# shellcheck shell=bash
# Shared bootstrap, sourced (not run) by bin/dev, bin/test and .ci/run:
#   source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
#
# It
#   1. cds to the repository root (so the callers work from any directory);
#   2. finds a Python >= 3.11 ($PYTHON if set, else python3, python3.13, python3.12, python3.11);
#   3. creates .venv if it is missing or broken (installing Debian's python3.X-venv first when
#      running as root and ensurepip is missing, otherwise saying what to install);
#   4. installs the pinned, hashed dependencies of requirements/dev.lock (bin/lock writes it) and the
#      project itself (`pip install --no-deps -e .`), only when pyproject.toml or the lock file is newer
#      than the stamp file .venv/.servicedesk-installed (delete that file, or set SD_REINSTALL=1, to
#      force a re-install);
#   5. activates the venv for the rest of the calling script (VIRTUAL_ENV, PATH).
#
# Afterwards SD_ROOT is the repository root and `python` is the venv's interpreter.

SD_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$SD_ROOT"

SD_VENV="$SD_ROOT/.venv"
SD_STAMP="$SD_VENV/.servicedesk-installed"
SD_LOCK="$SD_ROOT/requirements/dev.lock"

_sd_say() { printf '[bootstrap] %s\n' "$*" >&2; }
_sd_die() {
    printf '[bootstrap] ERROR: %s\n' "$*" >&2
    exit 1
}

_sd_is_root() { [[ "$(id -u)" == "0" ]]; }

# Print the path of a Python >= 3.11, or fail.
_sd_find_python() {
    local candidates c path
    if [[ -n "${PYTHON:-}" ]]; then
        candidates=("$PYTHON")
    else
        candidates=(python3 python3.13 python3.12 python3.11)
    fi
    for c in "${candidates[@]}"; do
        path="$(command -v "$c" 2>/dev/null)" || continue
        if "$path" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
            printf '%s\n' "$path"
            return 0
        fi
    done
    local found="none"
    if command -v python3 >/dev/null 2>&1; then
        found="$(python3 -c 'import sys; print(sys.version.split()[0])' 2>/dev/null || echo unknown)"
    fi
    _sd_die "ServiceDesk needs Python 3.11 or newer (tried: ${candidates[*]}; python3 is ${found}).
  On Debian 12 / Ubuntu 24.04: apt-get install python3 python3-venv
  Or point PYTHON at a suitable interpreter: PYTHON=/path/to/python3.12 $0"
}

# Make sure `$1 -m venv` can create a venv with pip in it (Debian splits ensurepip into python3.X-venv).
_sd_ensure_venv_module() {
    local py="$1" ver
    if "$py" -c 'import ensurepip, venv' >/dev/null 2>&1; then
        return 0
    fi
    ver="$("$py" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
    if _sd_is_root && command -v apt-get >/dev/null 2>&1; then
        _sd_say "python -m venv is not available; installing python${ver}-venv with apt-get"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "python${ver}-venv" \
            || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv \
            || _sd_die "could not install python${ver}-venv with apt-get"
        "$py" -c 'import ensurepip, venv' >/dev/null 2>&1 \
            || _sd_die "python -m venv still unavailable after installing python${ver}-venv"
    else
        _sd_die "'$py -m venv' is not available (ensurepip is missing).
  Install it with:  sudo apt-get install python3-venv   (or python${ver}-venv)"
    fi
}

_sd_venv_ok() {
    [[ -x "$SD_VENV/bin/python" ]] \
        && "$SD_VENV/bin/python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null
}

_sd_install_due() {
    [[ "${SD_REINSTALL:-0}" == "1" || ! -f "$SD_STAMP" || "$SD_ROOT/pyproject.toml" -nt "$SD_STAMP" \
        || "$SD_LOCK" -nt "$SD_STAMP" ]]
}

_sd_bootstrap() {
    local py
    if ! _sd_venv_ok; then
        py="$(_sd_find_python)" || exit 1
        _sd_ensure_venv_module "$py"
        if [[ -e "$SD_VENV" ]]; then
            _sd_say ".venv exists but its Python does not run (or is older than 3.11): recreating it"
            rm -rf "$SD_VENV"
        fi
        _sd_say "creating .venv with $py ($("$py" -c 'import sys; print(sys.version.split()[0])'))"
        if ! "$py" -m venv "$SD_VENV"; then
            rm -rf "$SD_VENV"
            _sd_die "'$py -m venv .venv' failed (on Debian/Ubuntu: apt-get install python3-venv)"
        fi
    fi

    if _sd_install_due; then
        # One installer at a time (bin/dev and bin/test may start together).
        if command -v flock >/dev/null 2>&1; then
            exec 9>"$SD_VENV/.install.lock"
            flock 9
        fi
        # Re-check: another process may have finished the install while we waited for the lock.
        if _sd_install_due; then
            _sd_say "installing the pinned dependencies (requirements/dev.lock) and the project into .venv"
            local started=$SECONDS
            "$SD_VENV/bin/python" -m pip install --disable-pip-version-check --progress-bar off -q \
                --require-hashes -r "$SD_LOCK" \
                || _sd_die "pip install --require-hashes -r requirements/dev.lock failed (see above)"
            "$SD_VENV/bin/python" -m pip install --disable-pip-version-check --progress-bar off -q \
                --no-deps -e "$SD_ROOT" \
                || _sd_die "pip install --no-deps -e . failed (see above)"
            touch "$SD_STAMP"
            _sd_say "dependencies installed in $((SECONDS - started)) s"
        fi
        if command -v flock >/dev/null 2>&1; then
            exec 9>&-
        fi
    fi

    export VIRTUAL_ENV="$SD_VENV"
    export PATH="$SD_VENV/bin:$PATH"
    export PIP_DISABLE_PIP_VERSION_CHECK=1
    unset PYTHONHOME
    hash -r
}

_sd_bootstrap
