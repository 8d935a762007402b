//! Writing a command's output file so that a crash never leaves half a file under its name.

use std::io::Write as _;
use std::path::Path;

use crate::commands::CommandError;

/// Writes `bytes` to a temporary file in `path`'s folder (created if missing), then renames it
/// into place: readers see the old file or the whole new one, never a partial write.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), CommandError> {
    let io = |action, source| CommandError::Io {
        action,
        path: path.to_path_buf(),
        source,
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| io("create the folder of", e))?;
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(|e| io("write", e))?;
    file.write_all(bytes).map_err(|e| io("write", e))?;
    // A temporary file is private (0600); outputs are ordinary documents others read.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        file.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(|e| io("write", e))?;
    }
    file.persist(path).map_err(|e| io("write", e.error))?;
    Ok(())
}

/// Typesets `html` (a page attest-evidence wrote) as a PDF with `identity` in every footer and
/// writes it atomically to `path`. Returns whether a PDF was written: builds without the
/// `pdf` feature write none.
pub fn write_pdf(
    path: &Path,
    html: &str,
    identity: &attest_evidence::report::typst::PageIdentity,
) -> Result<bool, CommandError> {
    #[cfg(feature = "pdf")]
    {
        let what = "the PDF";
        let pdf = attest_evidence::report::typeset_pdf(html, identity, what)
            .map_err(|e| CommandError::Data(format!("{}: {e}", path.display())))?;
        write_atomically(path, &pdf)?;
        Ok(true)
    }
    #[cfg(not(feature = "pdf"))]
    {
        let _ = (path, html, identity);
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn replaces_the_file_whole_and_leaves_no_temporary_behind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/out.csv");
        write_atomically(&path, b"old").unwrap();
        write_atomically(&path, b"new contents").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o644);
        }
        assert_eq!(std::fs::read(&path).unwrap(), b"new contents");
        let names: Vec<_> = std::fs::read_dir(dir.path().join("sub"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["out.csv"]);
    }
}
