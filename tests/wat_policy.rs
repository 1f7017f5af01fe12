//! Hostile policy components written as WAT at test time, so the big ones take no room on disk:
//! a minimal component that exports the contract (every hook answers with nothing) with knobs
//! for oversized strings and for more core modules beside the policy's own.

/// Bytes in a page of linear memory.
const PAGE: u32 = 64 << 10;
/// Where the strings the knobs ask for start: zeros from here on (valid UTF-8, NULs).
const BIG: u32 = PAGE;
/// Room past the strings for the snapshot the host lowers into the policy's memory.
const ROOM_PAGES: u32 = 4;

/// What the generated policy does besides answering with nothing.
#[derive(Debug, Clone, Default)]
pub struct WatPolicy {
    /// Bytes of the name `info` answers with (zeros); 0 for `wat`.
    pub name_len: u32,
    /// When set, `place` answers one step whose reason has this many bytes (zeros).
    pub reason_len: Option<u32>,
    /// How many times that step is repeated in the answer, every copy pointing at the same
    /// reason (0 means once): the answer copies far more than the policy's memory holds.
    pub repeats: u32,
    /// Core modules instantiated beside the policy's own, each once (extra memories, say).
    pub extra_modules: Vec<String>,
}

impl WatPolicy {
    /// The component, as WAT text.
    pub fn wat(&self) -> String {
        let big = self.name_len.max(self.reason_len.unwrap_or(0));
        let pages = (BIG + big).div_ceil(PAGE) + ROOM_PAGES;
        let extras: String = self
            .extra_modules
            .iter()
            .enumerate()
            .map(|(i, module)| {
                format!(
                    "(core module $extra{i} {module}) (core instance (instantiate $extra{i}))\n"
                )
            })
            .collect();
        format!(
            "(component\n{core}\n{extras}{types}\n{funcs})",
            core = self.core_module(pages, BIG + big),
            types = TYPES,
            funcs = FUNCS,
        )
    }

    /// The policy's core module: a bump allocator from `heap` and the hooks' answers.
    fn core_module(&self, pages: u32, heap: u32) -> String {
        let (name_ptr, name_len) = match self.name_len {
            0 => (64, 3),
            len => (BIG, len),
        };
        let info = [name_ptr, name_len, 64, 3, 64, 3];
        let place = self.reason_len.map_or(48, |_| 96);
        // One step: add-replica, partition 0, node 1, the reason at BIG; `repeats` of them.
        let repeats = self.repeats.max(1);
        let step = [0, 0, 1, BIG, self.reason_len.unwrap_or(0)].repeat(repeats as usize);
        format!(
            r#"(core module $m
    (memory (export "mem") {pages})
    (global $next (mut i32) (i32.const {heap}))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $p i32)
      (local.set $p (i32.and (i32.add (global.get $next) (i32.const 7)) (i32.const -8)))
      (global.set $next (i32.add (local.get $p) (local.get 3)))
      (local.get $p))
    (data (i32.const 16) "{info}")
    (data (i32.const 64) "wat")
    (data (i32.const 96) "\00\00\00\00{list}")
    (data (i32.const 128) "{step}")
    (func (export "info") (result i32) (i32.const 16))
    (func (export "vt") (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32) (i32.const 48))
    (func (export "rc") (param i32 i32 i32 i32 i32 i32) (result i32) (i32.const 48))
    (func (export "pl") (param i32 i32 i32 i32 i32 i32) (result i32) (i32.const {place}))
    (func (export "rb") (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32) (i32.const 48)))
  (core instance $i (instantiate $m))"#,
            info = le(&info),
            list = le(&[128, repeats]),
            step = le(&step),
        )
    }
}

/// `words` as little-endian bytes in WAT string escapes.
fn le(words: &[u32]) -> String {
    words
        .iter()
        .flat_map(|w| w.to_le_bytes())
        .map(|b| format!("\\{b:02x}"))
        .collect()
}

/// The contract's types, as the component declares them.
const TYPES: &str = r#"
  (type $worker-state (enum "provisioning" "active" "draining" "disabled"))
  (type $roles (flags "http-ingress" "admin" "worker" "log-server" "metadata-server"))
  (type $node-config (record (field "id" u32) (field "generation" u32) (field "name" string)
    (field "address" string) (field "location" string) (field "roles" $roles)
    (field "worker-state" $worker-state) (field "alive" bool)))
  (type $partition (record (field "id" u32) (field "replicas" (list u32))
    (field "next" (option (list u32))) (field "leader" (option u32))))
  (type $scope (enum "region" "zone" "node"))
  (type $scope-count (record (field "scope" $scope) (field "count" u32)))
  (type $snapshot (record (field "replication" (list $scope-count))
    (field "nodes" (list $node-config)) (field "partitions" (list $partition))))
  (type $transition (record (field "node" u32) (field "from" $worker-state)
    (field "to" $worker-state) (field "reason" string)))
  (type $step-op (enum "add-replica" "remove-replica" "set-leader"))
  (type $step (record (field "op" $step-op) (field "partition" u32) (field "node" u32)
    (field "reason" string)))
  (type $verdict (record (field "allowed" bool) (field "reason" string)))
  (type $insufficient-nodes (record (field "scope" $scope) (field "available" u32)
    (field "required" u32)))
  (type $policy-error (variant (case "insufficient-nodes" $insufficient-nodes)
    (case "invalid-snapshot" string) (case "unknown-node" u32)))
  (type $policy-info (record (field "name" string) (field "version" string)
    (field "description" string)))"#;

/// The hooks, lifted from the core module, and the contract's export.
const FUNCS: &str = r#"
  (func $info (result $policy-info)
    (canon lift (core func $i "info") (memory (core memory $i "mem"))
      (realloc (core func $i "realloc"))))
  (func $vt (param "snapshot" $snapshot) (param "node" u32) (param "to" $worker-state)
    (result (result $verdict (error $policy-error)))
    (canon lift (core func $i "vt") (memory (core memory $i "mem"))
      (realloc (core func $i "realloc"))))
  (func $rc (param "snapshot" $snapshot)
    (result (result (list $transition) (error $policy-error)))
    (canon lift (core func $i "rc") (memory (core memory $i "mem"))
      (realloc (core func $i "realloc"))))
  (func $pl (param "snapshot" $snapshot) (result (result (list $step) (error $policy-error)))
    (canon lift (core func $i "pl") (memory (core memory $i "mem"))
      (realloc (core func $i "realloc"))))
  (func $rb (param "snapshot" $snapshot) (param "max-moves" (option u32))
    (result (result (list $step) (error $policy-error)))
    (canon lift (core func $i "rb") (memory (core memory $i "mem"))
      (realloc (core func $i "realloc"))))
  (instance $policy
    (export "worker-state" (type $worker-state)) (export "roles" (type $roles))
    (export "node-config" (type $node-config)) (export "partition" (type $partition))
    (export "scope" (type $scope)) (export "scope-count" (type $scope-count))
    (export "snapshot" (type $snapshot)) (export "transition" (type $transition))
    (export "step-op" (type $step-op)) (export "step" (type $step))
    (export "verdict" (type $verdict)) (export "insufficient-nodes" (type $insufficient-nodes))
    (export "policy-error" (type $policy-error)) (export "policy-info" (type $policy-info))
    (export "info" (func $info)) (export "validate-transition" (func $vt))
    (export "reconcile" (func $rc)) (export "place" (func $pl)) (export "rebalance" (func $rb)))
  (export "worker-policy:policy/policy@0.1.0" (instance $policy))"#;
