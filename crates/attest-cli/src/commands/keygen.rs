//! `attest keygen`: an ed25519 key pair for signing evidence bundles.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::cli::KeygenArgs;
use crate::commands::CommandError;
use crate::exit::ExitStatus;
use crate::render;

fn with_extension(prefix: &Path, ext: &str) -> PathBuf {
    let mut name = prefix.as_os_str().to_owned();
    name.push(ext);
    PathBuf::from(name)
}

/// Writes `text` to a new file `path` (never replacing one), readable only by the owner
/// when `private`.
fn create(path: &Path, text: &str, private: bool) -> Result<(), CommandError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let io = |source| CommandError::Io {
        action: "write the key",
        path: path.to_path_buf(),
        source,
    };
    let mut file = options.open(path).map_err(io)?;
    file.write_all(text.as_bytes()).map_err(io)
}

/// Makes and writes the pair.
pub fn run(args: &KeygenArgs) -> Result<ExitStatus, CommandError> {
    let private = with_extension(&args.out, ".key");
    let public = with_extension(&args.out, ".pub");
    for path in [&private, &public] {
        if path.exists() {
            return Err(CommandError::Usage(format!(
                "`{}` exists; keys are never overwritten (choose another --out PREFIX)",
                path.display()
            )));
        }
    }
    let fail = |e: attest_evidence::EvidenceError| CommandError::Data(e.to_string());
    let key = attest_evidence::sign::generate().map_err(fail)?;
    create(
        &private,
        &attest_evidence::sign::private_pem(&key).map_err(fail)?,
        true,
    )?;
    create(
        &public,
        &attest_evidence::sign::public_pem(&key.verifying_key()).map_err(fail)?,
        false,
    )?;
    render::emit(&format!(
        "wrote {} (private: keep it secret) and {} (public: give it to whoever verifies)\nkey id {}\n",
        private.display(),
        public.display(),
        attest_evidence::sign::key_id(&key.verifying_key())
    ));
    Ok(ExitStatus::Success)
}
