//! Writing a file so that it is either wholly the new content or untouched: write a temporary
//! file beside it, flush it to disk, then rename it over the target.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::Error;

/// The temporary file [`write_atomically`] writes beside `path` in this process:
/// `.NAME.<pid>.tmp`.
fn temp_path(path: &Path) -> PathBuf {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    dir.join(format!(".{name}.{}.tmp", std::process::id()))
}

/// Replaces `path` with `contents` atomically; on failure the old file is left as it was.
pub fn write_atomically(path: &Path, contents: &[u8]) -> Result<(), Error> {
    let io = |context: String| move |source| Error::Io { context, source };
    let temp = temp_path(path);
    crate::leftovers::register(&temp);
    let result = File::create(&temp)
        .and_then(|mut file| {
            file.write_all(contents)?;
            file.sync_all()
        })
        .and_then(|()| fs::rename(&temp, path));
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    crate::leftovers::forget(&temp);
    result.map_err(io(format!("cannot write {}", path.display())))
}
