#!/usr/bin/env bash
# The real coding-agent CLIs that test/agents/real-cli.test.ts drives through
# `chant-bot implement` (CHANT_REAL_CLI=1; .ci/run sets it), pinned, each
# installed with npm into its own directory under a cache, never into the
# project's node_modules:
#
#   bash scripts/install-agent-clis.sh [CACHE_DIR]
#
# CACHE_DIR: the argument, else $CHANT_AGENT_CLI_CACHE, else
# /var/cache/chant-bot/agent-clis as root (the tests' sandboxes then run as uid
# 65534, which cannot traverse /root), else ${XDG_CACHE_HOME:-~/.cache}/chant-bot/agent-clis.
# An installed version is kept: a second run costs nothing. Prints one line per
# CLI: `<program> <version> <directory of its executable>`.
set -euo pipefail

# Bump these to try newer CLIs (then run the test; the fixtures in
# test/fixtures/agent-streams/ say what the parsers were written against).
CLAUDE_CODE_VERSION=2.1.197
CODEX_VERSION=0.171.0

if [[ $# -ge 1 ]]; then
  cache="$1"
elif [[ -n "${CHANT_AGENT_CLI_CACHE:-}" ]]; then
  cache="$CHANT_AGENT_CLI_CACHE"
elif [[ "$(id -u)" -eq 0 ]]; then
  cache=/var/cache/chant-bot/agent-clis
else
  cache="${XDG_CACHE_HOME:-$HOME/.cache}/chant-bot/agent-clis"
fi
mkdir -p "$cache"
# The sandbox's user (65534 for a root test run) must read the programs.
chmod 755 "$cache"

say() { echo "install-agent-clis: $*" >&2; }

# install PACKAGE VERSION PROGRAM: prints "PROGRAM VERSION BINDIR".
install() {
  local package="$1" version="$2" program="$3"
  local dir="$cache/${package#@*/}-$version"
  local bin="$dir/node_modules/.bin"
  if [[ ! -x "$bin/$program" ]] || ! "$bin/$program" --version >/dev/null 2>&1; then
    say "npm install $package@$version into $dir"
    rm -rf "$dir.tmp"
    npm install --prefix "$dir.tmp" --no-audit --no-fund --no-save --loglevel=error \
      "$package@$version" >&2
    rm -rf "$dir"
    mv "$dir.tmp" "$dir"
    # Claude Code's postinstall links its native binary over a placeholder; npm versions that
    # hold install scripts for approval skip it. Run it when the program does not start.
    local postinstall="$dir/node_modules/$package/install.cjs"
    if ! "$bin/$program" --version >/dev/null 2>&1 && [[ -f "$postinstall" ]]; then
      (cd "$dir/node_modules/$package" && node install.cjs >&2)
    fi
    chmod -R a+rX "$dir"
  fi
  local said
  said="$("$bin/$program" --version 2>&1 | head -n 1)" || {
    say "$program $version does not start: $said"
    exit 1
  }
  echo "$program $version $(cd "$bin" && pwd)"
}

install @anthropic-ai/claude-code "$CLAUDE_CODE_VERSION" claude
install @openai/codex "$CODEX_VERSION" codex
