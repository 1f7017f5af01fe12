//! Conversions between the model's enums and their mirror images in generated contract bindings
//! (the host's from wasmtime, the SDK's from wit-bindgen), written once as a macro so that every
//! side converts from one list of variants, and a variant missing on either side fails to compile.

/// Defines `$to(model) -> wit` and `$from(wit) -> model` for two enums with the same variants,
/// as exhaustive `match`es over `[$variant, ...]`; `$what` names the type in the doc comments.
#[macro_export]
macro_rules! mirror_enum {
    ($what:literal, $to:ident, $from:ident, $model:ty, $wit:ty, [$($variant:ident),+ $(,)?]) => {
        #[doc = concat!("The contract's form of a ", $what, ".")]
        pub fn $to(value: $model) -> $wit {
            type Model = $model;
            type Wit = $wit;
            match value {
                $(Model::$variant => Wit::$variant,)+
            }
        }

        #[doc = concat!("The model's form of a ", $what, ".")]
        pub fn $from(value: $wit) -> $model {
            type Model = $model;
            type Wit = $wit;
            match value {
                $(Wit::$variant => Model::$variant,)+
            }
        }
    };
}
