//! What a file must be before the host runs anything from it: a WebAssembly component (not a
//! core module, not another file), exporting the contract at a version this host loads, and
//! importing nothing but the contract at that version and virtual WASI 0.2.

use crate::contract::{ContractVersion, CONTRACT_PACKAGE};
use crate::error::PolicyFault;

/// The WASI 0.2 packages a policy may import; the host gives them a virtual implementation with
/// no files, network, arguments or environment, a frozen clock and a fixed-seed random source.
const VIRTUAL_WASI: [&str; 6] = [
    "wasi:io/",
    "wasi:clocks/",
    "wasi:random/",
    "wasi:cli/",
    "wasi:filesystem/",
    "wasi:sockets/",
];

/// What the host expects a policy to export, in words: the policy interface at any version it
/// loads.
fn expected_exports() -> String {
    ContractVersion::LOADED
        .map(|v| v.interface("policy"))
        .join(" or ")
}

/// Tells a core module or a non-wasm file from a component before compiling anything.
pub(crate) fn check_header(bytes: &[u8]) -> Result<(), PolicyFault> {
    const MAGIC: &[u8] = b"\0asm";
    if !bytes.starts_with(MAGIC) {
        let text = std::str::from_utf8(bytes).unwrap_or("");
        if text.trim_start().starts_with('(') {
            return Ok(()); // WAT text: the compiler checks it.
        }
        return Err(PolicyFault::NotAComponent(
            "the file is not a WebAssembly component (no `\\0asm` header, and not WAT text)".into(),
        ));
    }
    match bytes.get(4..8) {
        Some([1, 0, 0, 0]) => Err(PolicyFault::NotAComponent(
            "the file is a core WebAssembly module, not a component; build it with wit-bindgen and turn it into a component (`wasm-tools component new`, or cargo-component)".into(),
        )),
        _ => Ok(()),
    }
}

/// Checks a compiled component's imports and exports: the policy interface of one contract
/// version this host loads, the contract imported at that same version only, nothing else
/// imported beyond virtual WASI (forbidden imports are named before a missing export). Returns
/// the version the component speaks.
pub(crate) fn check_interface(
    imports: &[String],
    exports: &[String],
) -> Result<ContractVersion, PolicyFault> {
    let version = ContractVersion::LOADED
        .into_iter()
        .find(|v| exports.contains(&v.interface("policy")));
    let ours = format!("{CONTRACT_PACKAGE}/");
    if let Some(version) = version {
        let suffix = format!("@{version}");
        if let Some(other) = (imports.iter().chain(exports))
            .find(|name| name.starts_with(&ours) && !name.ends_with(&suffix))
        {
            return Err(PolicyFault::WrongContract {
                found: other.clone(),
                expected: version.interface("policy"),
            });
        }
    }
    let forbidden: Vec<String> = imports
        .iter()
        .filter(|i| !import_allowed(version, i))
        .cloned()
        .collect();
    if !forbidden.is_empty() {
        return Err(PolicyFault::ForbiddenImports {
            imports: forbidden,
            allowed: allowed_imports_text(version),
        });
    }
    version.ok_or_else(|| {
        let found = match exports.iter().find(|e| e.starts_with(&ours)) {
            Some(other) => other.clone(),
            None if exports.is_empty() => "nothing".into(),
            None => exports.join(", "),
        };
        PolicyFault::WrongContract {
            found,
            expected: expected_exports(),
        }
    })
}

/// Whether a policy of contract `version` (any version the host loads, when the component
/// exports none) may import `name`: the contract's types and logging at that version, or
/// virtual WASI 0.2.
fn import_allowed(version: Option<ContractVersion>, name: &str) -> bool {
    let versions = version.map_or(ContractVersion::LOADED.to_vec(), |v| vec![v]);
    (versions.iter()).any(|v| ["types", "logging"].iter().any(|i| v.interface(i) == name))
        || VIRTUAL_WASI
            .iter()
            .any(|p| name.starts_with(p) && name.contains("@0.2."))
}

/// What a policy of contract `version` (or of any version the host loads) may import, in words.
fn allowed_imports_text(version: Option<ContractVersion>) -> String {
    let versions = version.map_or(ContractVersion::LOADED.to_vec(), |v| vec![v]);
    let versions: Vec<String> = versions.iter().map(|v| format!("@{v}")).collect();
    format!(
        "{CONTRACT_PACKAGE}/types, {CONTRACT_PACKAGE}/logging ({}) and virtual WASI 0.2 ({})",
        versions.join(" or "),
        VIRTUAL_WASI.map(|p| p.trim_end_matches('/')).join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_contract_and_virtual_wasi_are_allowed_and_nothing_else() {
        for version in ContractVersion::LOADED {
            let exports = vec![version.interface("policy")];
            let imports = vec![
                version.interface("types"),
                version.interface("logging"),
                "wasi:io/streams@0.2.3".into(),
                "wasi:cli/stdout@0.2.0".into(),
            ];
            assert!(matches!(check_interface(&imports, &exports), Ok(v) if v == version));
            let evil = names(&["wasi:http/types@0.2.0", "wasi:io/streams@0.3.0"]);
            match check_interface(&evil, &exports) {
                Err(PolicyFault::ForbiddenImports { imports, .. }) => assert_eq!(imports, evil),
                other => panic!("expected forbidden imports, got {other:?}"),
            }
        }
    }

    #[test]
    fn the_contract_is_imported_at_the_version_exported() {
        let exports = names(&["worker-policy:policy/policy@0.2.0"]);
        let mixed = names(&["worker-policy:policy/logging@0.1.0"]);
        assert!(matches!(
            check_interface(&mixed, &exports),
            Err(PolicyFault::WrongContract { found, expected })
                if found == mixed[0] && expected == exports[0]
        ));
    }

    #[test]
    fn another_contract_version_or_no_export_is_the_wrong_contract() {
        let old = names(&["worker-policy:policy/policy@0.0.9"]);
        assert!(matches!(
            check_interface(&[], &old),
            Err(PolicyFault::WrongContract { found, expected })
                if found == old[0] && expected.contains("@0.2.0 or ") && expected.ends_with("@0.1.0")
        ));
        assert!(matches!(
            check_interface(&[], &[]),
            Err(PolicyFault::WrongContract { found, .. }) if found == "nothing"
        ));
    }

    #[test]
    fn headers_tell_components_from_modules_and_other_files() {
        assert!(check_header(b"\0asm\x0d\0\x01\0").is_ok());
        assert!(check_header(b"  (component)").is_ok());
        assert!(matches!(
            check_header(b"\0asm\x01\0\0\0"),
            Err(PolicyFault::NotAComponent(m)) if m.contains("core WebAssembly module")
        ));
        assert!(matches!(
            check_header(b"PK\x03\x04"),
            Err(PolicyFault::NotAComponent(_))
        ));
    }
}
