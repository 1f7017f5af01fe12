//! The static compile limits: what a component may be before the host compiles it, and the
//! figures of a component to hold against them.

use serde::Serialize;

use crate::error::PolicyFault;

/// A component's figures as the compiler would see them, counted before compiling.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CompileFigures {
    /// The component's size in bytes (the WAT text's, when it was given as text).
    pub component_size: u64,
    /// Functions defined, summed over every core module inside the component.
    pub functions: u64,
    /// The most locals one function declares (parameters not counted).
    pub max_locals: u64,
    /// The largest function body, in bytes.
    pub max_function_size: u64,
    /// The deepest nesting of `block`, `loop`, `if`, `try` and `try_table` in one function body.
    pub max_nesting: u64,
}

/// What a component may be before it is compiled. The defaults leave real policies far inside
/// and refuse the known compile-time bombs (5,000 locals in one function; 200,000 functions).
/// Measured: the 18 MB Python policy (componentize-py) has 13,361 functions, at most 271
/// locals, a 426,843-byte body and 781 levels of nesting; the default policy 410 functions, 64
/// locals, 8,986 bytes and 150 levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CompileLimits {
    /// Bytes of the component (binary or WAT text).
    pub max_component_size: u64,
    /// Functions in all its core modules together.
    pub max_functions: u64,
    /// Locals one function may declare.
    pub max_locals: u64,
    /// Bytes of one function body.
    pub max_function_size: u64,
    /// Nesting depth of control blocks in one function body.
    pub max_nesting: u64,
}

impl Default for CompileLimits {
    fn default() -> CompileLimits {
        CompileLimits {
            max_component_size: 128 << 20,
            max_functions: 100_000,
            max_locals: 2_000,
            max_function_size: 4 << 20,
            max_nesting: 10_000,
        }
    }
}

/// One static compile limit: what it counts and the CLI flag that raises it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CompileLimit {
    /// [`CompileLimits::max_component_size`].
    ComponentSize,
    /// [`CompileLimits::max_functions`].
    Functions,
    /// [`CompileLimits::max_locals`].
    Locals,
    /// [`CompileLimits::max_function_size`].
    FunctionSize,
    /// [`CompileLimits::max_nesting`].
    Nesting,
}

impl CompileLimit {
    /// Every limit, in the order they are checked and shown.
    pub const ALL: [CompileLimit; 5] = [
        CompileLimit::ComponentSize,
        CompileLimit::Functions,
        CompileLimit::Locals,
        CompileLimit::FunctionSize,
        CompileLimit::Nesting,
    ];

    /// What the limit counts, in words.
    pub fn what(self) -> &'static str {
        match self {
            CompileLimit::ComponentSize => "bytes in the component",
            CompileLimit::Functions => "functions",
            CompileLimit::Locals => "locals in one function",
            CompileLimit::FunctionSize => "bytes in one function body",
            CompileLimit::Nesting => "levels of block nesting in one function",
        }
    }

    /// The command-line flag that sets it.
    pub fn flag(self) -> &'static str {
        match self {
            CompileLimit::ComponentSize => "--max-component-size",
            CompileLimit::Functions => "--max-functions",
            CompileLimit::Locals => "--max-locals",
            CompileLimit::FunctionSize => "--max-function-size",
            CompileLimit::Nesting => "--max-nesting",
        }
    }
}

impl CompileLimits {
    /// The value of `limit`.
    pub fn get(&self, limit: CompileLimit) -> u64 {
        match limit {
            CompileLimit::ComponentSize => self.max_component_size,
            CompileLimit::Functions => self.max_functions,
            CompileLimit::Locals => self.max_locals,
            CompileLimit::FunctionSize => self.max_function_size,
            CompileLimit::Nesting => self.max_nesting,
        }
    }

    /// Refuses `figures` over any limit, naming the first one.
    pub fn check(&self, figures: &CompileFigures) -> Result<(), PolicyFault> {
        match CompileLimit::ALL
            .into_iter()
            .find(|&limit| figures.get(limit) > self.get(limit))
        {
            Some(limit) => Err(PolicyFault::OverCompileLimit {
                limit,
                found: figures.get(limit),
                max: self.get(limit),
            }),
            None => Ok(()),
        }
    }
}

impl CompileFigures {
    /// The figure `limit` bounds.
    pub fn get(&self, limit: CompileLimit) -> u64 {
        match limit {
            CompileLimit::ComponentSize => self.component_size,
            CompileLimit::Functions => self.functions,
            CompileLimit::Locals => self.max_locals,
            CompileLimit::FunctionSize => self.max_function_size,
            CompileLimit::Nesting => self.max_nesting,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_figure_over_its_limit_is_named_with_its_flag() {
        let limits = CompileLimits::default();
        let inside = CompileFigures {
            component_size: 1000,
            functions: 10,
            max_locals: 5,
            max_function_size: 100,
            max_nesting: 3,
        };
        assert!(limits.check(&inside).is_ok());
        let over = CompileFigures {
            max_locals: limits.max_locals + 1,
            max_nesting: limits.max_nesting + 1,
            ..inside
        };
        let error = limits.check(&over).unwrap_err();
        assert!(matches!(
            error,
            PolicyFault::OverCompileLimit {
                limit: CompileLimit::Locals,
                ..
            }
        ));
        let message = error.to_string();
        assert!(
            message.contains("--max-locals") && message.contains("2001"),
            "{message}"
        );
    }
}
