#!/usr/bin/env bash
# The quick start: sets up this machine (Debian 12, root) and starts a single-node skiff cluster
# on the embedded SQLite store, in the background: the control plane and the node agent (the CRI
# runtime on /run/skiff/cri.sock, which `skiff crictl` finds). Prints how to reach it with kubectl.
# Arguments go to `skiff server` (e.g. --disable-agent for a control plane only).
#   SKIFF_DATA_DIR   (default /var/lib/skiff/server)
#   SKIFF_KUBECONFIG (default /etc/skiff/skiff.yaml)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh

data_dir=${SKIFF_DATA_DIR:-/var/lib/skiff/server}
kubeconfig=${SKIFF_KUBECONFIG:-/etc/skiff/skiff.yaml}
mkdir -p "$data_dir" /var/log /run/skiff
pidfile=/run/skiff/server.pid
if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  echo "skiff server already running (pid $(cat "$pidfile")); kubeconfig: $kubeconfig"
  exit 0
fi
log=/var/log/skiff-server.log
: > "$log"
nohup "$PWD/bin/skiff" server --data-dir "$data_dir" --write-kubeconfig "$kubeconfig" "$@" >>"$log" 2>&1 &
echo $! > "$pidfile"
for _ in $(seq 1 100); do
  if grep -q "skiff server ready" "$log"; then
    grep "skiff server ready" "$log"
    echo
    echo "  export KUBECONFIG=$kubeconfig"
    echo "  kubectl get namespaces"
    echo "  bin/skiff crictl info      # the container runtime"
    echo
    echo "logs: $log   stop: kill \$(cat $pidfile)"
    exit 0
  fi
  if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "skiff server failed to start:" >&2
    cat "$log" >&2
    exit 1
  fi
  sleep 0.2
done
echo "skiff server did not become ready in 20 s; see $log" >&2
exit 1
