//! The shell functions a script defines before its first command, as fixed blocks of text: the
//! writer prints them whole and the replay accepts exactly these blocks (a changed function is
//! refused), so what a command line like `wait_leader 3 4` does is known.
//!
//! Every wait polls `restatectl sql` every `WAIT_SLEEP` seconds (0.5 by default) for at most
//! `WAIT_TIMEOUT` seconds (300 by default), measured with bash's `SECONDS`. A failing
//! `restatectl sql` stops the script at once with restatectl's own message: `sql` talks only to
//! the first address, which must have the admin role, and retrying would only hide that. A wait
//! that times out says what it waited for and how to run the rest of the script from its line.
//! The helpers end with one cheap query, so a script pointed at a node without the admin role
//! stops before it changes anything. The functions keep to bash 3.2 (no associative arrays).

/// Which block of functions a command needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Block {
    /// `HELPERS`: `sql_json`, `waited`, `wait_caught_up`, `wait_leader` and the admin check.
    Helpers,
    /// `RESTART`: `generation_of` and `await_restart`, in rollout scripts only.
    Restart,
}

impl Block {
    /// The block's text.
    pub fn text(self) -> &'static str {
        match self {
            Block::Helpers => HELPERS,
            Block::Restart => RESTART,
        }
    }

    /// Every block.
    pub const ALL: [Block; 2] = [Block::Helpers, Block::Restart];
}

/// The line that ends the helpers ([`Block::Helpers`]): a resumed run prints the script up to it, then the rest.
pub const END_OF_HELPERS: &str = "# ---- end of helpers ----";

/// The helpers every script with a command defines, ending with the admin check.
pub const HELPERS: &str = r#"# ---- helpers: waits that poll restatectl sql, bounded by WAIT_TIMEOUT ----
# sql_json QUERY: `restatectl sql --json QUERY`, its output (messages included) kept in SQL_OUTPUT;
# its warnings (partial results) are printed; when restatectl fails, its own message is printed
# and the script stops. Only the row count it prints after each query is not shown.
sql_json() {
  if ! SQL_OUTPUT="$(restatectl sql --json "$1" 2>&1)"; then
    printf '%s\n' "${SQL_OUTPUT}" >&2
    echo "worker-policy: restatectl sql failed (its message is above). It talks only to the first address in RESTATECTL_ADDRESS / --address: the first address must be a node with the admin role." >&2
    exit 1
  fi
  if [[ "${SQL_OUTPUT}" == *WARNING* ]]; then
    printf '%s\n' "${SQL_OUTPUT}" | grep WARNING >&2 || true
  fi
}
# waited DEADLINE WHAT: sleeps WAIT_SLEEP seconds before the next poll; once SECONDS reaches
# DEADLINE, says what it waited for and how to resume, and stops the script.
waited() {
  if ((SECONDS >= $1)); then
    local line="${BASH_LINENO[1]}" script
    script="$(printf '%q' "$0")"
    echo "worker-policy: waited ${WAIT_TIMEOUT:-300} s for $2, in vain (line ${line} of ${script})." >&2
    echo "worker-policy: once it has happened (or with a larger WAIT_TIMEOUT), run the helpers and the rest of the script from that line: bash <(sed -n '1,/^# ---- end of helpers ----\$/p;${line},\$p' ${script})" >&2
    exit 1
  fi
  sleep "${WAIT_SLEEP:-0.5}"
}
# wait_caught_up P N: until N's processor of partition P has caught up (replay_status active).
wait_caught_up() {
  local deadline=$((SECONDS + ${WAIT_TIMEOUT:-300}))
  while :; do
    sql_json "SELECT replay_status FROM partition_state WHERE partition_id = $1 AND plain_node_id = 'N$2'"
    [[ "${SQL_OUTPUT}" == *'"replay_status":"active"'* ]] && return 0
    waited "${deadline}" "N$2's replica of partition $1 to catch up (replay_status active)"
  done
}
# wait_leader P N: until N leads partition P (Restate elects the last node of the set written
# above, or an alive member its leader affinity points to).
wait_leader() {
  local deadline=$((SECONDS + ${WAIT_TIMEOUT:-300}))
  while :; do
    sql_json "SELECT leader_plain_node_id FROM partitions WHERE partition_id = $1"
    [[ "${SQL_OUTPUT}" == *"\"leader_plain_node_id\":\"N$2\""* ]] && return 0
    waited "${deadline}" "N$2 to lead partition $1"
  done
}
# restatectl sql needs a node with the admin role first in RESTATECTL_ADDRESS: checked before any change.
sql_json "SELECT 1"
# ---- end of helpers ----
"#;

/// The restart point of a rollout script: the operator restarts a wave's nodes, and the script
/// goes on once each is alive with a new generation.
pub const RESTART: &str = r#"# ---- the rollout's restart points ----
# generation_of N: N's generational id (N4:3) in GENERATION, and its liveness in STATE.
generation_of() {
  local id='"gen_node_id":"([^"]*)"' state='"state":"([^"]*)"'
  sql_json "SELECT gen_node_id, state FROM nodes WHERE plain_node_id = 'N$1'"
  GENERATION="" STATE=""
  if [[ "${SQL_OUTPUT}" =~ ${id} ]]; then GENERATION="${BASH_REMATCH[1]}"; fi
  if [[ "${SQL_OUTPUT}" =~ ${state} ]]; then STATE="${BASH_REMATCH[1]}"; fi
}
# await_restart W/T N...: records each node's generation, asks for the nodes of wave W of T to be
# restarted and Enter pressed, then waits until each node is alive with a new generation.
await_restart() {
  local wave="${1%/*}" waves="${1#*/}" node deadline i=0
  local -a before=()
  shift
  for node in "$@"; do
    generation_of "${node}"
    before+=("${GENERATION}")
  done
  echo "worker-policy: restart point (wave ${wave} of ${waves}): restart $(printf 'N%s ' "$@")now, then press Enter" >&2
  if ! read -r; then
    echo "worker-policy: restart point (wave ${wave} of ${waves}): stdin ended before Enter was pressed; run this script from a terminal (bash script.sh), or give it one line per restart point" >&2
    exit 1
  fi
  deadline=$((SECONDS + ${WAIT_TIMEOUT:-300}))
  for node in "$@"; do
    while :; do
      generation_of "${node}"
      [[ "${STATE}" == alive && "${GENERATION}" != "${before[i]}" ]] && break
      waited "${deadline}" "N${node} to be alive with a new generation (it was ${before[i]:-unknown})"
    done
    i=$((i + 1))
  done
}
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_helpers_end_with_the_admin_check_and_the_marker_a_resume_looks_for() {
        let lines: Vec<&str> = HELPERS.lines().collect();
        assert_eq!(lines[lines.len() - 2], r#"sql_json "SELECT 1""#);
        assert_eq!(lines[lines.len() - 1], END_OF_HELPERS);
        assert!(HELPERS.contains(&format!("sed -n '1,/^{END_OF_HELPERS}\\$/p;")));
        for block in Block::ALL {
            assert!(block.text().starts_with("# ---- "), "{block:?}");
            assert!(!block.text().contains("2>/dev/null"), "{block:?}");
        }
    }
}
