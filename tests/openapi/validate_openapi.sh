#!/usr/bin/env bash
# Validates an OpenAPI document with the real tools (docs/decisions.md, "The
# OpenAPI validators"), pinned in the repository's package.json and
# package-lock.json and installed by `make npm-tools`:
#   1. swagger-parser validate: the document is valid OpenAPI 3.1;
#   2. spectral lint with tests/openapi/.spectral.yaml (spectral:oas): 0 errors;
#   3. redocly lint with tests/openapi/redocly.yaml: 0 errors;
#   4. ajv (JSON Schema 2020-12): every command's example validates against
#      its request body schema, every other example against its schema, and
#      (given the generator) every query's real answer on the documented
#      examples' data against the query's documented answer schema.
#
# Usage: validate_openapi.sh <duet_openapi_gen | document.json> [npm folder]
# The npm folder defaults to build/npm; without its node_modules the script
# exits 77, which CTest reports as skipped (run `make npm-tools`).
set -euo pipefail

source_arg=${1:?usage: validate_openapi.sh <duet_openapi_gen | document.json> [npm folder]}
npm_dir=${2:-build/npm}
here=$(cd "$(dirname "$0")" && pwd)

if [[ ! -d "$npm_dir/node_modules" ]] || ! command -v node >/dev/null 2>&1; then
  echo "SKIPPED: the OpenAPI validators are not installed in $npm_dir/node_modules" \
       "(or node is missing): run \`make npm-tools\`" >&2
  exit 77
fi
bin="$npm_dir/node_modules/.bin"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
doc="$work/openapi.json"
answers=()
if [[ -x "$source_arg" && ! -d "$source_arg" && "$source_arg" != *.json ]]; then
  "$source_arg" > "$doc"
  "$source_arg" --answers > "$work/answers.json"
  answers=("$work/answers.json")
else
  cp "$source_arg" "$doc"
fi

failed=0
run() {
  local name=$1
  shift
  echo "== $name"
  if "$@"; then
    echo "-- $name: ok"
  else
    echo "-- $name: FAILED" >&2
    failed=1
  fi
}

# Hermetic: no usage telemetry, no update check over the network.
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
run "swagger-parser validate" node "$here/validate_openapi.mjs" swagger "$doc" "$npm_dir"
run "spectral lint (spectral:oas)" "$bin/spectral" lint --ruleset "$here/.spectral.yaml" \
  --fail-severity error "$doc"
run "redocly lint" "$bin/redocly" lint --config "$here/redocly.yaml" "$doc"
run "ajv: examples and answers against their schemas" node "$here/validate_openapi.mjs" ajv \
  "$doc" "$npm_dir" "${answers[@]}"

exit $failed
