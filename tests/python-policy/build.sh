#!/usr/bin/env bash
# Builds the Python policy (app.py) into a component with componentize-py from PyPI, to show that
# the WIT contract, not Rust, is what a policy implements. CI runs the conformance suite on it.
# It targets contract 0.1.0 (wit/0.1.0): the proof that a 0.1.0 component still loads on a newer host.
#   usage: tests/python-policy/build.sh OUTPUT.wasm
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$(realpath -m "${1:?usage: build.sh OUTPUT.wasm}")
venv="$root/target/python-venv"
[ -x "$venv/bin/componentize-py" ] || {
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet componentize-py==0.25.1
}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$here/app.py" "$work/"
cd "$work"
"$venv/bin/componentize-py" -d "$root/wit/0.1.0" -w worker-policy bindings .
"$venv/bin/componentize-py" -d "$root/wit/0.1.0" -w worker-policy componentize app -o "$out"
