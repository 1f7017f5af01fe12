//! What a file must be before the host runs anything from it: a WebAssembly component (not a
//! core module, not another file), exporting this host's contract at its version, and importing
//! nothing but the contract and virtual WASI 0.2.

use crate::bindings::{CONTRACT_PACKAGE, CONTRACT_VERSION};
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

/// The export every policy must have.
pub(crate) fn expected_export() -> String {
    format!("{CONTRACT_PACKAGE}/policy@{CONTRACT_VERSION}")
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

/// Checks a compiled component's imports and exports: the contract at this host's version,
/// nothing imported beyond the contract and virtual WASI.
pub(crate) fn check_interface(imports: &[String], exports: &[String]) -> Result<(), PolicyFault> {
    let ours = format!("{CONTRACT_PACKAGE}/");
    let version_suffix = format!("@{CONTRACT_VERSION}");
    if let Some(other) = imports
        .iter()
        .chain(exports)
        .find(|name| name.starts_with(&ours) && !name.ends_with(&version_suffix))
    {
        return Err(PolicyFault::WrongContract {
            found: other.clone(),
            expected: expected_export(),
        });
    }
    let forbidden: Vec<String> = imports
        .iter()
        .filter(|i| !import_allowed(i))
        .cloned()
        .collect();
    if !forbidden.is_empty() {
        return Err(PolicyFault::ForbiddenImports {
            imports: forbidden,
            allowed: allowed_imports_text(),
        });
    }
    let expected = expected_export();
    if !exports.contains(&expected) {
        let found = if exports.is_empty() {
            "nothing".into()
        } else {
            exports.join(", ")
        };
        return Err(PolicyFault::WrongContract { found, expected });
    }
    Ok(())
}

/// Whether a policy may import `name`: the contract's types and logging, or virtual WASI 0.2.
fn import_allowed(name: &str) -> bool {
    let contract =
        ["types", "logging"].map(|i| format!("{CONTRACT_PACKAGE}/{i}@{CONTRACT_VERSION}"));
    contract.iter().any(|c| c == name)
        || VIRTUAL_WASI
            .iter()
            .any(|p| name.starts_with(p) && name.contains("@0.2."))
}

/// What a policy may import, in words.
fn allowed_imports_text() -> String {
    format!(
        "{CONTRACT_PACKAGE}/types, {CONTRACT_PACKAGE}/logging (@{CONTRACT_VERSION}) and virtual WASI 0.2 ({})",
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
        let exports = vec![expected_export()];
        let imports = names(&[
            "worker-policy:policy/types@0.1.0",
            "worker-policy:policy/logging@0.1.0",
            "wasi:io/streams@0.2.3",
            "wasi:cli/stdout@0.2.0",
        ]);
        assert!(check_interface(&imports, &exports).is_ok());
        let evil = names(&["wasi:http/types@0.2.0", "wasi:io/streams@0.3.0"]);
        match check_interface(&evil, &exports) {
            Err(PolicyFault::ForbiddenImports { imports, .. }) => assert_eq!(imports, evil),
            other => panic!("expected forbidden imports, got {other:?}"),
        }
    }

    #[test]
    fn another_contract_version_or_no_export_is_the_wrong_contract() {
        let old = names(&["worker-policy:policy/policy@0.0.9"]);
        assert!(matches!(
            check_interface(&[], &old),
            Err(PolicyFault::WrongContract { found, .. }) if found == old[0]
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
