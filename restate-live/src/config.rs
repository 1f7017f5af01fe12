//! One node of a live cluster, and its configuration file: Restate's TOML with everything on
//! 127.0.0.1, three ports of its own, small memory budgets, and no auto-provisioning.

use std::fmt::Write;
use std::path::Path;

/// What a node is: its id, its location and the roles beyond worker, log-server and ingress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeSpec {
    /// The plain node id Restate gives it (`force-node-id`).
    pub id: u32,
    /// `region.zone`, `region`, or empty.
    pub location: String,
    /// Whether it has the admin role (runs the cluster controller and the SQL tables).
    pub admin: bool,
    /// Whether it is one of the metadata servers.
    pub metadata: bool,
}

impl NodeSpec {
    /// A worker node (worker, log-server, ingress) with no admin or metadata role.
    pub fn worker(id: u32, location: &str) -> NodeSpec {
        NodeSpec {
            id,
            location: location.to_string(),
            admin: false,
            metadata: false,
        }
    }

    /// Its name: `n<id>`.
    pub fn name(&self) -> String {
        format!("n{}", self.id)
    }
}

/// The ports a node listens on, all on 127.0.0.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ports {
    /// Node-to-node, restatectl and metadata (`bind-port`).
    pub fabric: u16,
    /// The admin API.
    pub admin: u16,
    /// The HTTP ingress.
    pub ingress: u16,
}

/// The fabric address of a node listening on `port`, as Restate advertises it.
pub fn fabric_url(port: u16) -> String {
    format!("http://127.0.0.1:{port}/")
}

/// The TOML configuration of `node` in cluster `cluster`, its data under `base_dir`, with the
/// metadata servers at `metadata` (fabric ports).
pub fn node_toml(
    cluster: &str,
    node: &NodeSpec,
    ports: Ports,
    base_dir: &Path,
    metadata: &[u16],
) -> String {
    let mut roles = vec!["worker", "log-server", "http-ingress"];
    if node.metadata {
        roles.push("metadata-server");
    }
    if node.admin {
        roles.push("admin");
    }
    let quoted = |items: Vec<String>| items.join(", ");
    let roles = quoted(roles.iter().map(|r| format!("{r:?}")).collect());
    let metadata = quoted(
        metadata
            .iter()
            .map(|&p| format!("{:?}", fabric_url(p)))
            .collect(),
    );
    let mut out = String::new();
    let _ = write!(
        out,
        r#"node-name = "{name}"
force-node-id = {id}
cluster-name = "{cluster}"
base-dir = {base_dir:?}
listen-mode = "tcp"
bind-ip = "127.0.0.1"
advertised-host = "127.0.0.1"
bind-port = {fabric}
advertised-address = "{address}"
location = "{location}"
roles = [{roles}]
auto-provision = false
disable-telemetry = true
rocksdb-total-memory-size = "256MiB"

[admin]
bind-port = {admin}

[admin.query-engine]
memory-size = "64MiB"

[ingress]
bind-port = {ingress}

[bifrost]
record-cache-memory-size = "32MiB"

[metadata-client]
addresses = [{metadata}]
"#,
        name = node.name(),
        id = node.id,
        base_dir = base_dir.display().to_string(),
        fabric = ports.fabric,
        address = fabric_url(ports.fabric),
        location = node.location,
        admin = ports.admin,
        ingress = ports.ingress,
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_listens_on_loopback_only_with_its_roles_and_location() {
        let node = NodeSpec {
            id: 2,
            location: "eu.z1".into(),
            admin: true,
            metadata: true,
        };
        let ports = Ports {
            fabric: 5122,
            admin: 9070,
            ingress: 8080,
        };
        let toml = node_toml("c", &node, ports, Path::new("/tmp/x"), &[5122, 5123]);
        for line in [
            "bind-ip = \"127.0.0.1\"",
            "advertised-address = \"http://127.0.0.1:5122/\"",
            "location = \"eu.z1\"",
            "roles = [\"worker\", \"log-server\", \"http-ingress\", \"metadata-server\", \"admin\"]",
            "addresses = [\"http://127.0.0.1:5122/\", \"http://127.0.0.1:5123/\"]",
            "force-node-id = 2",
        ] {
            assert!(toml.lines().any(|l| l == line), "{line} missing in\n{toml}");
        }
    }
}
