#!/usr/bin/env bash
# Offline checks of everything in deploy/ (no cluster needed; docs/deploy.md says what this does
# and does not prove):
#   1. `kubectl kustomize` renders deploy/base, deploy/envoy, deploy/batch, deploy/retrain and
#      every deploy/overlays/*;
#   2. yamllint (deploy/.yamllint) on the sources and the rendered output;
#   3. every rendered document against its Kubernetes / Prometheus Operator schema with the npm
#      packages kubernetes-models@4.5.1, @kubernetes-models/prometheus-operator@4.4.4 and yaml@2
#      (scripts/lib/validate-k8s.js; it catches missing required fields, wrong types and enums,
#      not unknown fields), plus hrnn rules: grace period above the drain deadline + 2 s, gRPC
#      probes, volumeClaimTemplates, headless Service, an Envoy endpoint per HPA ordinal;
#   4. the Prometheus alert rules with `promtool check rules` and their unit tests with
#      `promtool test rules` (Debian's prometheus package);
#   5. the Grafana dashboard is JSON, and every hrnn_ metric the rules and the dashboard use is
#      one docs/operations.md documents.
# Installs what is missing: yamllint and prometheus with apt-get, the npm packages into
# ${HRNN_NPM_CACHE:-$HOME/.cache/hrnn-npm} (never into the repository). Needs kubectl, node, npm.
# Exits non-zero on any error.
set -euo pipefail
cd "$(dirname "$0")/.."

NPM_DIR="${HRNN_NPM_CACHE:-$HOME/.cache/hrnn-npm}"
WORK=$(mktemp -d -t hrnn-manifests.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
ERRORS=0
say() { printf '\n== %s\n' "$*"; }
error() { echo "validate-manifests: ERROR: $*" >&2; ERRORS=$((ERRORS + 1)); }

say "tools"
apt_missing=()
command -v yamllint >/dev/null 2>&1 || apt_missing+=(yamllint)
command -v promtool >/dev/null 2>&1 || apt_missing+=(prometheus)
if [ ${#apt_missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  compgen -G "/var/lib/apt/lists/*_Packages" >/dev/null \
    || $SUDO apt-get -o DPkg::Lock::Timeout=600 update -q
  $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${apt_missing[@]}"
fi
for tool in kubectl node npm yamllint promtool; do
  command -v "$tool" >/dev/null 2>&1 || { echo "validate-manifests: $tool is missing" >&2; exit 1; }
done
NPM_PACKAGES=(kubernetes-models@4.5.1 @kubernetes-models/prometheus-operator@4.4.4 yaml@2)
if ! NODE_PATH="$NPM_DIR/node_modules" node -e '
    require("kubernetes-models/package.json"); require("yaml");
    require("@kubernetes-models/prometheus-operator/package.json");
    if (require("kubernetes-models/package.json").version !== "4.5.1") process.exit(1);' \
    2>/dev/null; then
  mkdir -p "$NPM_DIR"
  npm install --prefix "$NPM_DIR" --no-audit --no-fund --no-save "${NPM_PACKAGES[@]}" >/dev/null
fi
echo "kubectl $(kubectl version --client -o json 2>/dev/null | sed -n 's/.*"gitVersion": *"\([^"]*\)".*/\1/p;T;q')," \
     "node $(node --version), $(yamllint --version), $(promtool --version 2>&1 | sed -n 1p)"

say "kubectl kustomize"
TARGETS=(deploy/base deploy/envoy deploy/batch deploy/retrain)
for overlay in deploy/overlays/*/; do TARGETS+=("${overlay%/}"); done
for target in "${TARGETS[@]}"; do
  out="$WORK/$(echo "$target" | tr / _).yaml"
  if kubectl kustomize "$target" > "$out" 2>"$WORK/kustomize.err"; then
    echo "$target: $(grep -c '^kind:' "$out") documents"
  else
    cat "$WORK/kustomize.err" >&2
    error "kubectl kustomize $target failed"
    rm -f "$out"
  fi
done

say "yamllint"
if yamllint -c deploy/.yamllint deploy "$WORK"/*.yaml; then
  echo "deploy/ and the rendered output: clean"
else
  error "yamllint found problems (above)"
fi

say "schemas (kubernetes-models, prometheus-operator models) and hrnn rules"
for out in "$WORK"/deploy_*.yaml; do
  NODE_PATH="$NPM_DIR/node_modules" node scripts/lib/validate-k8s.js "$out" \
    || error "$(basename "$out"): invalid (above)"
done

say "Prometheus rules"
promtool check rules deploy/monitoring/hrnn-alerts.yaml || error "promtool check rules failed"
(cd deploy/monitoring && promtool test rules hrnn-alerts.test.yaml) \
  || error "promtool test rules failed"

say "Grafana dashboard and metric names"
/usr/bin/python3 - deploy/monitoring/hrnn-dashboard.json deploy/monitoring/hrnn-alerts.yaml \
    docs/operations.md <<'PY' || error "dashboard or metric names (above)"
import json, re, sys
dashboard_path, rules_path, docs_path = sys.argv[1:4]
dashboard = json.load(open(dashboard_path))
documented = set()
for line in open(docs_path):
    if line.startswith("| `hrnn_"):
        documented.update(re.findall(r"`(hrnn_[a-z_]+)", line.split("|")[1]))
def used(text):
    names = set(re.findall(r"\bhrnn_[a-z_]+", text))
    return {re.sub(r"_(bucket|sum|count)$", "", n) for n in names}
exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
problems = []
for where, names in (("dashboard", used("\n".join(exprs))), ("alert rules", used(open(rules_path).read()))):
    unknown = sorted(names - documented)
    if unknown:
        problems.append(f"{where} uses metrics docs/operations.md does not list: {unknown}")
    else:
        print(f"{where}: {len(names)} hrnn_ metrics, all documented")
undashboarded = sorted(documented - used("\n".join(exprs)))
if undashboarded:
    problems.append(f"documented metrics missing from the dashboard: {undashboarded}")
ids = [p["id"] for p in dashboard["panels"]]
if len(ids) != len(set(ids)):
    problems.append("duplicate panel ids")
print(f"dashboard: {len(dashboard['panels'])} panels, {len(exprs)} queries")
for p in problems:
    print(p, file=sys.stderr)
sys.exit(1 if problems else 0)
PY

if [ "$ERRORS" -gt 0 ]; then
  echo "validate-manifests: $ERRORS error(s)" >&2
  exit 1
fi
echo "validate-manifests: OK"
