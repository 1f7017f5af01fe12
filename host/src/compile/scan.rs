//! Counts what makes a component expensive to compile, without compiling it: functions, locals,
//! body sizes and control nesting of every core module inside it, nested ones included.

use wasmparser::{FunctionBody, Operator, Parser, Payload};

use super::limits::CompileFigures;

/// The figures of a binary component (or core module). Fails on bytes that do not parse.
pub(crate) fn scan(binary: &[u8]) -> Result<CompileFigures, wasmparser::BinaryReaderError> {
    let mut figures = CompileFigures {
        component_size: binary.len() as u64,
        ..CompileFigures::default()
    };
    for payload in Parser::new(0).parse_all(binary) {
        if let Payload::CodeSectionEntry(body) = payload? {
            figures.functions += 1;
            figures.max_locals = figures.max_locals.max(locals(&body)?);
            figures.max_function_size = figures.max_function_size.max(body.range().len() as u64);
            figures.max_nesting = figures.max_nesting.max(nesting(&body)?);
        }
    }
    Ok(figures)
}

/// The locals a function body declares.
fn locals(body: &FunctionBody<'_>) -> Result<u64, wasmparser::BinaryReaderError> {
    let mut total = 0u64;
    for entry in body.get_locals_reader()? {
        let (count, _) = entry?;
        total = total.saturating_add(u64::from(count));
    }
    Ok(total)
}

/// The deepest nesting of control blocks in a function body (the body itself is level 0).
fn nesting(body: &FunctionBody<'_>) -> Result<u64, wasmparser::BinaryReaderError> {
    let mut reader = body.get_operators_reader()?;
    let (mut depth, mut deepest) = (0u64, 0u64);
    while !reader.eof() {
        match reader.read()? {
            Operator::Block { .. }
            | Operator::Loop { .. }
            | Operator::If { .. }
            | Operator::Try { .. }
            | Operator::TryTable { .. } => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            Operator::End | Operator::Delegate { .. } => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(deepest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(wat: &str) -> CompileFigures {
        scan(&wat::parse_str(wat).unwrap()).unwrap()
    }

    #[test]
    fn functions_locals_and_nesting_are_counted_in_every_nested_module() {
        let found = figures(
            r#"(component
                (core module
                    (func (local i32 i64) (local f32)
                        (block (loop (if (i32.const 0) (then (nop))))))
                    (func))
                (component (core module (func (local i32)))))"#,
        );
        assert_eq!(found.functions, 3);
        assert_eq!(found.max_locals, 3);
        assert_eq!(found.max_nesting, 3);
        assert!(found.max_function_size > 0);
        assert!(found.component_size > found.max_function_size);
    }

    #[test]
    fn bytes_that_do_not_parse_are_an_error() {
        assert!(scan(b"\0asm\x0d\0\x01\0\x01\xff").is_err());
    }
}
