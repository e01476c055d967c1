#!/usr/bin/env bash
# Installs what rbee needs to build and test, only what is missing: Debian
# packages (as root, or through sudo), and the npm package of the OpenAI client
# test when npm is present. Safe to run again.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libcaf-dev libboost-dev libboost-system-dev rapidjson-dev
  libcli11-dev libspdlog-dev libfmt-dev libssl-dev libpcre2-dev libtbb-dev libcurl4-openssl-dev libarchive-dev bubblewrap libseccomp-dev python3
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev
  procps curl ca-certificates xdg-utils desktop-file-utils tmux chromium
  openssh-client openssh-server iproute2
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "rbee: installing Debian packages: ${missing[*]}" >&2
  if [ "$(id -u)" -eq 0 ]; then
    as_root=()
  elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
  else
    echo "rbee: need root or sudo to install: ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Playwright (the library only: it drives Debian's chromium) for the browser tests.
if command -v npm >/dev/null 2>&1 && [ ! -f "$root/tests/browser/node_modules/playwright-core/package.json" ]; then
  (cd "$root/tests/browser" && npm ci --no-audit --no-fund --loglevel=error) ||
    echo "rbee: npm could not install playwright-core; the browser tests will be skipped" >&2
fi

# The official OpenAI client for the compatibility test, when npm is here.
if command -v npm >/dev/null 2>&1 && [ ! -f "$root/tests/openai_client/node_modules/openai/package.json" ]; then
  (cd "$root/tests/openai_client" && npm ci --no-audit --no-fund --loglevel=error) ||
    echo "rbee: npm could not install the openai package; its test will be skipped" >&2
fi

# llama.cpp as the engine's test oracle: npm's node-llama-cpp with its prebuilt
# linux-x64 CPU build only (--omit=optional leaves out the CUDA, Vulkan and ARM
# builds, 600 MB). Tests only, never at run time.
if command -v npm >/dev/null 2>&1 && [ "$(uname -sm)" = "Linux x86_64" ] &&
   [ ! -f "$root/tests/oracle/node_modules/node-llama-cpp/package.json" ]; then
  # (npm install, not ci: the package lists optional builds for platforms whose versions the lock
  # cannot hold, which ci refuses; the lock still pins every package installed.)
  (cd "$root/tests/oracle" && npm install --omit=optional --no-audit --no-fund --loglevel=error) ||
    echo "rbee: npm could not install node-llama-cpp; the llama.cpp oracle tests will be skipped" >&2
fi
