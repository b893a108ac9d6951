#!/usr/bin/env bash
# CI check of deploy/k8s/: every object of both modes (and the Secret templates) validates
# against the Kubernetes schemas (kubernetes-validate from PyPI, strict: unknown fields are
# errors) for the oldest and the newest Kubernetes version we claim; the knowledge-base
# ConfigMap matches knowledge_base/; and the manifests name the images, commands, ports, probes
# and environment variables the services really use (tests/k8s/check_manifests.py).
# No cluster needed; a few seconds.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v kubernetes-validate >/dev/null; then
  python3 -m pip install --quiet --disable-pip-version-check kubernetes-validate
fi
python3 -c 'import yaml' 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check pyyaml
files=(deploy/k8s/embedded/*.yaml deploy/k8s/scaled/*.yaml deploy/k8s/templates/*.yaml)
for version in 1.30.0 1.37.0; do
  echo "== kubernetes-validate --strict -k $version (${#files[@]} files)"
  kubernetes-validate --strict --quiet -k "$version" "${files[@]}"
done
objects=$(cat "${files[@]}" | grep -c '^kind:')
echo "   $objects objects valid"
echo "== knowledge-base ConfigMap up to date"
deploy/k8s/knowledge-base.py --check
echo "== manifests against docker-compose.yml and the services' sources"
tests/k8s/check_manifests.py
