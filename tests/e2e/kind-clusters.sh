#!/usr/bin/env bash
# Create three kind clusters for tests/e2e and print the KARMADACTL_E2E_KUBECONFIGS line to use.
# Needs Docker and kind (https://kind.sigs.k8s.io); this project's CI machine has neither.
set -euo pipefail
command -v kind >/dev/null || { echo "kind not found" >&2; exit 1; }
command -v docker >/dev/null && docker info >/dev/null 2>&1 || { echo "no Docker engine" >&2; exit 1; }
dir=${1:-$HOME/.karmada/e2e}
mkdir -p "$dir"
configs=()
for name in member1 member2 member3; do
  kind get clusters | grep -qx "e2e-$name" || kind create cluster --name "e2e-$name" --wait 120s
  kind get kubeconfig --name "e2e-$name" > "$dir/$name.kubeconfig"
  chmod 600 "$dir/$name.kubeconfig"
  configs+=("$dir/$name.kubeconfig")
done
(IFS=,; echo "export KARMADACTL_E2E_KUBECONFIGS=${configs[*]}")
