#!/usr/bin/env bash
# End to end on kind: create the cluster, build and load the image, install the chart, run `helm test`,
# apply the example models and wait until kstatus/Argo CD would call them done, then run tests/e2e.
# Needs docker, kind, kubectl and helm (make tools puts the last two in .tools/bin).
# KEEP_CLUSTER=1 leaves the cluster up; KIND_CLUSTER names it (default modelyard-e2e).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/.tools/bin:$ROOT/.venv/bin:$PATH"
CLUSTER="${KIND_CLUSTER:-modelyard-e2e}"
VERSION="$(awk '/^appVersion:/ {gsub(/"/, "", $2); print $2}' charts/modelyard/Chart.yaml)"
IMAGE="ghcr.io/modelyard/modelyard:${VERSION}"
NS=modelyard-system
DEMO=modelyard-demo

log() { printf '\n== %s\n' "$*"; }
dump() {
  log "diagnostics"
  kubectl get pods,jobs,deployments -A -o wide || true
  kubectl get trainingjobs,modelversions,inferenceservices -A -o yaml || true
  kubectl -n "$NS" logs -l app.kubernetes.io/name=modelyard --tail=200 || true
  kubectl get events -A --sort-by=.lastTimestamp | tail -50 || true
}
cleanup() {
  local code=$?
  [ "$code" -ne 0 ] && dump
  if [ -z "${KEEP_CLUSTER:-}" ]; then kind delete cluster --name "$CLUSTER" || true; fi
  exit "$code"
}

for tool in docker kind kubectl helm; do
  command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 2; }
done

log "cluster $CLUSTER"
if ! kind get clusters | grep -qx "$CLUSTER"; then
  kind create cluster --name "$CLUSTER" --config kind-config.yaml --wait 120s
fi
trap cleanup EXIT
kubectl config use-context "kind-$CLUSTER"

log "image $IMAGE"
docker build -t "$IMAGE" -f operator/Dockerfile .
kind load docker-image "$IMAGE" --name "$CLUSTER"

log "chart"
helm upgrade --install modelyard charts/modelyard --namespace "$NS" --create-namespace \
  --set image.pullPolicy=Never --set logging.level=DEBUG --wait --timeout 5m
kubectl label namespace "$NS" pod-security.kubernetes.io/enforce=restricted --overwrite
kubectl wait --for=condition=Established crd/trainingjobs.modelyard.io crd/modelversions.modelyard.io \
  crd/inferenceservices.modelyard.io --timeout 60s
helm test modelyard --namespace "$NS" --timeout 3m

log "upgrade in place (CRDs included) keeps the release healthy"
helm upgrade modelyard charts/modelyard --namespace "$NS" --reuse-values --set podAnnotations.e2e=upgraded \
  --wait --timeout 5m

log "example models"
kubectl apply -k examples/gitops/workloads
kubectl -n "$DEMO" wait --for=condition=Ready trainingjob/iris --timeout 15m
kubectl -n "$DEMO" wait --for=condition=Ready modelversions -l modelyard.io/model=iris --timeout 5m
kubectl -n "$DEMO" wait --for=condition=Ready inferenceservice/iris --timeout 15m
kubectl get trainingjobs,modelversions,inferenceservices -n "$DEMO"

log "tests/e2e"
MODELYARD_E2E_CONTEXT="kind-$CLUSTER" pytest -q tests/e2e -p no:cacheprovider

log "uninstall keeps the CRDs and the models"
helm uninstall modelyard --namespace "$NS" --wait
kubectl get crd trainingjobs.modelyard.io
kubectl -n "$DEMO" get trainingjob/iris
