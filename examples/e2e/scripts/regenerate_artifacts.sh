#!/usr/bin/env bash
# Regenerates the E2E fixtures from the producer's raw output (the shape of the ESB
# repository's script): wipe e2e/artifacts/<env>/, run the producer, check, drop runtime-base.
# Usage: e2e/scripts/regenerate_artifacts.sh [ENV...]   (default: every environment)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${SCRIPT_DIR}/../.." && pwd)"
TEMPLATE_PATH="${REPO_ROOT}/e2e/fixtures/template.e2e.yaml"

if [[ -n "${ARTIFACT_PRODUCER_CMD:-}" ]]; then
  # shellcheck disable=SC2206
  PRODUCER_CMD_ARR=(${ARTIFACT_PRODUCER_CMD})
elif [[ -n "${ESB_CMD:-}" ]]; then
  # shellcheck disable=SC2206
  PRODUCER_CMD_ARR=(${ESB_CMD})
else
  echo "artifact producer command is not configured." >&2
  echo "Set ARTIFACT_PRODUCER_CMD (example: ARTIFACT_PRODUCER_CMD='your-producer-cli')." >&2
  exit 1
fi

generate_fixture() {
  local env_name="$1" mode="$2"
  local artifact_dir="${REPO_ROOT}/e2e/artifacts/${env_name}"
  local manifest_path="${artifact_dir}/artifact.yml"

  rm -rf "${artifact_dir}"
  mkdir -p "${artifact_dir}"

  "${PRODUCER_CMD_ARR[@]}" artifact generate \
    --template "${TEMPLATE_PATH}" \
    --env "${env_name}" \
    --mode "${mode}" \
    --project "esb-${env_name}" \
    --output "${artifact_dir}" \
    --manifest "${manifest_path}"

  local actual_mode
  actual_mode="$(awk '/^mode:/{print $2; exit}' "${manifest_path}" | tr -d '"')"
  if [[ "${actual_mode}" != "${mode}" ]]; then
    echo "artifact mode mismatch for ${env_name}: expected=${mode} actual=${actual_mode}" >&2
    exit 1
  fi
  # runtime-base is out of the deploy artifact contract.
  find "${artifact_dir}" -type d -name runtime-base -prune -exec rm -rf {} +
}

cd "${REPO_ROOT}"
ENVS=("$@")
if [[ ${#ENVS[@]} -eq 0 ]]; then
  ENVS=(e2e-docker e2e-containerd)
fi
for env_name in "${ENVS[@]}"; do
  case "${env_name}" in
    e2e-docker) generate_fixture e2e-docker docker ;;
    e2e-containerd) generate_fixture e2e-containerd containerd ;;
    *) echo "unknown environment: ${env_name}" >&2; exit 2 ;;
  esac
done
