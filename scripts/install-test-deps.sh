#!/usr/bin/env bash
# What `npm test` needs from the system besides Node.js and npm:
#
#   bwrap         (bubblewrap)  every agent and check command in the tests runs in the real sandbox
#   prlimit       (util-linux)  the sandbox's limits
#   git           (git)         the worker's clones, the GitHub stand-in's repositories
#   chromium      (chromium)    the queue dashboard's browser test (/usr/bin/chromium, or CHANT_CHROMIUM_PATH)
#   redis-server  (redis-server) only when nothing answers on 127.0.0.1:6379; started here
#                               (daemonized, for the tests) when it is installed but not running
#
# Installs what is missing with apt-get, as root or through sudo; otherwise
# prints one line naming what to install and exits 1. Then starts one
# bubblewrap sandbox the way the tests do (as uid 65534 when run as root) and,
# when that fails, says why in one line and exits 1; starts Redis when nothing
# answers on 127.0.0.1:6379. Idempotent; works with CI=true and no terminal.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "install-test-deps: $*"; }
fail() {
  echo "install-test-deps: $*" >&2
  exit 1
}

redis_answers() {
  # PING over bash's /dev/tcp: needs no redis-cli.
  timeout 3 bash -c 'exec 3<>/dev/tcp/127.0.0.1/6379 && printf "PING\r\n" >&3 && read -r reply <&3 && [[ "$reply" == +PONG* ]]' 2>/dev/null
}

chromium_present() {
  if [[ -n "${CHANT_CHROMIUM_PATH:-}" ]]; then [[ -x "$CHANT_CHROMIUM_PATH" ]]; else [[ -x /usr/bin/chromium ]]; fi
}

missing=()
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
command -v prlimit >/dev/null 2>&1 || missing+=(util-linux)
command -v git >/dev/null 2>&1 || missing+=(git)
want_chromium=false
chromium_present || want_chromium=true
if ! command -v redis-server >/dev/null 2>&1 && ! redis_answers; then missing+=(redis-server); fi

SUDO=()
can_install=true
if [[ "$(id -u)" -ne 0 ]]; then
  if ! command -v sudo >/dev/null 2>&1; then
    can_install=false
  elif [[ -t 0 ]]; then
    SUDO=(sudo)
  elif sudo -n true 2>/dev/null; then
    SUDO=(sudo -n) # no terminal (CI): never wait for a password
  else
    can_install=false
  fi
fi
command -v apt-get >/dev/null 2>&1 || can_install=false

if ! $can_install; then
  names=("${missing[@]}")
  $want_chromium && names+=(chromium)
  if ((${#missing[@]} > 0)); then
    fail "needs ${names[*]}: as root, apt-get install -y ${names[*]} (or rerun this script as root or with sudo)"
  elif $want_chromium; then
    say "no Chromium for the dashboard's browser test: as root, apt-get install -y chromium, or set CHANT_CHROMIUM_PATH to a Chromium binary"
  fi
elif ((${#missing[@]} > 0)) || $want_chromium; then
  export DEBIAN_FRONTEND=noninteractive
  say "apt-get update"
  "${SUDO[@]}" apt-get update -qq
  if ((${#missing[@]} > 0)); then
    say "apt-get install ${missing[*]}"
    "${SUDO[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  if $want_chromium; then
    # Debian's chromium package. Ubuntu has none (only a snap): .ci/run then uses Playwright's build.
    candidate="$(apt-cache policy chromium 2>/dev/null | awk '/Candidate:/ { print $2 }')"
    if [[ -n "$candidate" && "$candidate" != "(none)" ]]; then
      say "apt-get install chromium"
      "${SUDO[@]}" apt-get install -y -qq chromium >/dev/null || true
    fi
    chromium_present ||
      say "no Chromium at /usr/bin/chromium (Ubuntu ships it as a snap): set CHANT_CHROMIUM_PATH to a Chromium binary for the browser test (.ci/run installs Playwright's)"
  fi
fi

command -v bwrap >/dev/null 2>&1 || fail "bwrap is still missing after apt-get install bubblewrap"
command -v prlimit >/dev/null 2>&1 || fail "prlimit is still missing after apt-get install util-linux"

# --- Does bubblewrap work here? ---------------------------------------------
# The tests' sandboxes run as uid 65534 when the tests run as root (CHANT_SANDBOX_UID's default).
AS_SANDBOX_USER=()
sandbox_user="$(id -u)"
if [[ "$(id -u)" -eq 0 ]]; then
  if command -v setpriv >/dev/null 2>&1; then
    AS_SANDBOX_USER=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
  elif command -v runuser >/dev/null 2>&1 && [[ "$(id -u nobody 2>/dev/null)" == 65534 ]]; then
    AS_SANDBOX_USER=(runuser -u nobody --)
  fi
  ((${#AS_SANDBOX_USER[@]} > 0)) && sandbox_user=65534
fi

try_bwrap() {
  # The namespaces and mounts the real sandbox uses (src/sandbox/bubblewrap.ts).
  (cd / && "${AS_SANDBOX_USER[@]}" bwrap --unshare-user --unshare-pid --unshare-ipc --unshare-uts \
    --unshare-net --unshare-cgroup-try --die-with-parent --new-session --cap-drop ALL \
    --ro-bind / / --proc /proc --dev /dev --tmpfs /tmp -- true) 2>&1
}

APPARMOR_PROFILE=/etc/apparmor.d/chant-bot-bwrap
restricted_by_apparmor() {
  [[ "$(cat /proc/sys/kernel/apparmor_restrict_unprivileged_userns 2>/dev/null || echo 0)" == 1 ]]
}

works=true
said="$(try_bwrap)" || works=false
if ! $works; then
  # Ubuntu 23.10+ denies unprivileged user namespaces to programs without an AppArmor
  # profile that allows them: give bwrap (only bwrap) one, as Ubuntu 25.04 does itself.
  if restricted_by_apparmor && $can_install && command -v apparmor_parser >/dev/null 2>&1 &&
    [[ ! -e "$APPARMOR_PROFILE" ]]; then
    say "AppArmor restricts user namespaces here (kernel.apparmor_restrict_unprivileged_userns=1): allowing them to $(command -v bwrap) with $APPARMOR_PROFILE"
    printf '%s\n' \
      '# Written by chant-bot'"'"'s scripts/install-test-deps.sh: bubblewrap may create user namespaces.' \
      'abi <abi/4.0>,' \
      'include <tunables/global>' \
      "profile chant-bot-bwrap $(readlink -f "$(command -v bwrap)") flags=(unconfined) {" \
      '  userns,' \
      '}' | "${SUDO[@]}" tee "$APPARMOR_PROFILE" >/dev/null
    "${SUDO[@]}" apparmor_parser -r "$APPARMOR_PROFILE"
    works=true
    said="$(try_bwrap)" || works=false
  fi
  if ! $works; then
    reason="$(printf '%s' "$said" | tail -n 1)"
    if restricted_by_apparmor; then
      hint="AppArmor restricts user namespaces (kernel.apparmor_restrict_unprivileged_userns=1): rerun this script as root, or load an AppArmor profile that gives bwrap 'userns,'"
    elif [[ "$(cat /proc/sys/user/max_user_namespaces 2>/dev/null || echo 1)" == 0 ]]; then
      hint="user namespaces are disabled: sysctl -w user.max_user_namespaces=15000"
    elif [[ "$(cat /proc/sys/kernel/unprivileged_userns_clone 2>/dev/null || echo 1)" == 0 ]]; then
      hint="unprivileged user namespaces are disabled: sysctl -w kernel.unprivileged_userns_clone=1"
    elif [[ -e /.dockerenv || -e /run/.containerenv ]]; then
      hint="this container's seccomp/AppArmor profile or masked /proc forbids them: run it with --security-opt seccomp=unconfined --security-opt apparmor=unconfined --security-opt systempaths=unconfined (docs/deployment.md, Containment)"
    else
      hint="see docs/deployment.md, Containment"
    fi
    fail "bubblewrap cannot start a sandbox here as uid $sandbox_user (${reason}): $hint"
  fi
fi

# The sandbox's user must reach what the tests bind read-only: the fixtures (scripted agents) and Node.
node_bin="$(readlink -f "$(command -v node)")"
if ((${#AS_SANDBOX_USER[@]} > 0)) &&
  ! "${AS_SANDBOX_USER[@]}" test -r "$PWD/test/fixtures" -a -x "$node_bin"; then
  fail "uid 65534 (the sandbox's user when the tests run as root) cannot read $PWD/test/fixtures or $node_bin: put the checkout and Node under directories others may traverse (not /root), or run the tests as a non-root user"
fi

# --- Redis for the tests ------------------------------------------------------
# apt's redis-server starts as a service where systemd runs; in a container (or any machine
# without a running service) nothing answers yet: start one for the tests, as .ci/run does.
redis_note=""
if [[ -n "${CHANT_REDIS_URL:-}" ]]; then
  redis_note=" (the tests use CHANT_REDIS_URL instead)"
elif ! redis_answers && command -v redis-server >/dev/null 2>&1; then
  say "nothing answers on 127.0.0.1:6379: starting redis-server (no persistence, noeviction) for the tests"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --maxmemory-policy noeviction >/dev/null
  for _ in $(seq 1 50); do redis_answers && break; sleep 0.2; done
  redis_answers || fail "redis-server did not start on 127.0.0.1:6379"
  redis_note=" (started here)"
fi
[[ -n "${CHANT_REDIS_URL:-}" ]] || redis_answers ||
  fail "nothing answers on 127.0.0.1:6379 and there is no redis-server: apt-get install -y redis-server, or set CHANT_REDIS_URL for the tests"

say "ok: $(bwrap --version) starts sandboxes as uid $sandbox_user; prlimit, git$(chromium_present && echo ', chromium') present; Redis answers on 127.0.0.1:6379$redis_note"
