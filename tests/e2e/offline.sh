#!/usr/bin/env bash
# Runs the browser-mode end-to-end suite inside a fresh network namespace that has only loopback,
# so any feature that needs the network fails the suite. Needs root (CI) or unprivileged user
# namespaces. The app is built first, outside the namespace (the build needs no network either,
# but this keeps the proof about the app, not the toolchain).
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ "${OSLER_OFFLINE_INSIDE:-}" = "1" ]; then
  ip link set lo up
  # Prove the namespace: loopback is the only interface, there is no route out, names do not resolve.
  links=$(ip -o link show | awk -F': ' '{print $2}' | sort -u | tr '\n' ' ')
  if [ "$links" != "lo " ]; then
    echo "offline.sh: expected only lo in the namespace, found: $links" >&2
    exit 1
  fi
  if ip route get 1.1.1.1 >/dev/null 2>&1; then
    echo "offline.sh: the namespace has a route to 1.1.1.1" >&2
    exit 1
  fi
  if getent hosts registry.npmjs.org >/dev/null 2>&1; then
    echo "offline.sh: registry.npmjs.org resolves inside the namespace" >&2
    exit 1
  fi
  echo "offline.sh: network namespace with loopback only; running the e2e suite"
  exec npx playwright test --config tests/e2e/playwright.config.ts "$@"
fi

npm run build
if [ "$(id -u)" = "0" ]; then
  exec env OSLER_OFFLINE_INSIDE=1 unshare --net -- "$0" "$@"
fi
exec env OSLER_OFFLINE_INSIDE=1 unshare --net --map-root-user -- "$0" "$@"
