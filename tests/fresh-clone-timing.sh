#!/usr/bin/env bash
# The README's test command timed from a fresh clone, for each revision given, one after another
# in one run (side by side, so the ratio holds on a shared machine): each revision is cloned into
# a temporary folder, `cargo test --workspace --release` runs there with the live suite skipped
# (WORKER_POLICY_SKIP_LIVE=1; it is timed on its own by its runner), and the folder is removed.
#   usage: tests/fresh-clone-timing.sh REV [REV ...]     (e.g. HEAD~5 HEAD)
# Prints one line per revision: seconds, tests passed and failed, test binaries run.
set -euo pipefail
(($#)) || { echo "usage: $0 REV [REV ...]" >&2; exit 2; }
repo=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for rev in "$@"; do
  sha=$(git -C "$repo" rev-parse --short "$rev^{commit}")
  git clone -q "$repo" "$work/$sha"
  git -C "$work/$sha" checkout -q "$sha"
  log="$work/$sha.log"
  start=$(date +%s)
  status=0
  (cd "$work/$sha" && WORKER_POLICY_SKIP_LIVE=1 cargo test --workspace --release >"$log" 2>&1) || status=$?
  seconds=$(($(date +%s) - start))
  awk -v rev="$rev" -v sha="$sha" -v s="$seconds" -v rc="$status" '
    /^test result:/ { passed += $4; failed += $6 }
    /^ *(Running|Doc-tests) / { runs++ }
    END { printf "%s (%s): %d s, exit %d, %d passed, %d failed, %d test binaries and doc-test runs\n", rev, sha, s, rc, passed, failed, runs }' "$log"
  rm -rf "${work:?}/$sha"
done
