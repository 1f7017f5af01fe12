//! Conversions between the model's enums and their mirror images in generated contract bindings
//! (the host's from wasmtime, the SDK's from wit-bindgen), written once as a macro so that every
//! side converts from one list of variants, and a variant missing on either side fails to compile.

/// Defines `$to(model) -> wit` and `$from(wit) -> model` for two enums with the same variants,
/// as exhaustive `match`es over `[$variant, ...]` (`$what` names the type in the doc comments),
/// and a test module named `$to` that round-trips every value of the model's `ALL`.
#[macro_export]
macro_rules! mirror_enum {
    ($what:literal, $to:ident, $from:ident, $model:ty, $wit:ty, [$($variant:ident),+ $(,)?]) => {
        $crate::mirror_enum!(@one concat!("The contract's form of a ", $what, "."), $to, $model, $wit, [$($variant),+]);
        $crate::mirror_enum!(@one concat!("The model's form of a ", $what, "."), $from, $wit, $model, [$($variant),+]);

        #[cfg(test)]
        mod $to {
            #[allow(unused_imports, reason = "the type paths of the macro's caller")]
            use super::*;

            #[test]
            fn every_value_round_trips() {
                for value in <$model>::ALL {
                    assert_eq!(super::$from(super::$to(value)), value);
                }
            }
        }
    };
    (@one $doc:expr, $name:ident, $in:ty, $out:ty, [$($variant:ident),+]) => {
        #[doc = $doc]
        pub fn $name(value: $in) -> $out {
            type In = $in;
            type Out = $out;
            match value {
                $(In::$variant => Out::$variant,)+
            }
        }
    };
}

/// The conversions every side of the contract needs, with the variant lists written once:
/// `scope_to_wit`/`scope_from_wit` and `state_to_wit`/`state_from_wit` between the model's
/// [`Scope`](crate::Scope) and [`WorkerState`](crate::WorkerState) and those of the bindings
/// module `$wit` (a module in scope at the call site, such as `wit`).
#[macro_export]
macro_rules! mirror_contract_enums {
    ($wit:ident) => {
        $crate::mirror_enum!(
            "scope",
            scope_to_wit,
            scope_from_wit,
            $crate::Scope,
            $wit::Scope,
            [Region, Zone, Node]
        );
        $crate::mirror_enum!(
            "worker state",
            state_to_wit,
            state_from_wit,
            $crate::WorkerState,
            $wit::WorkerState,
            [Provisioning, Active, Draining, Disabled]
        );
    };
}
