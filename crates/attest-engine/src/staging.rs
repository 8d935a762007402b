//! The temporary folder a run is written into before it is renamed into place
//! ([`crate::output::write_staged`]), and the clean-up of ones a killed process left behind.
//!
//! A staging folder `.NAME.partial-XXXXXX` is claimed by a lock file beside it,
//! `.NAME.partial-XXXXXX.lock`, created and locked *before* the folder and removed *after* it;
//! the lock is held for as long as the writing process lives, and the operating system drops
//! it when the process dies, even by `kill -9`. So a staging folder whose lock file can be
//! locked, or that has none, belongs to no live process and may be deleted; one whose lock is
//! held is another run writing the same output right now and is left alone. Without this, a
//! process killed while writing its bundle left a hidden folder (predictions, report) that no
//! later run removed.

use std::fs::File;
use std::path::{Path, PathBuf};

/// The suffix of a staging folder's lock file.
const LOCK_SUFFIX: &str = ".lock";

/// The name prefix of the staging folders for the output folder `name`.
fn prefix(name: &str) -> String {
    format!(".{name}.partial-")
}

/// A staging folder for the output folder `name`, claimed until dropped; dropping it removes
/// the folder (when it was not renamed away) and then its lock file.
pub struct Staging {
    dir: PathBuf,
    lock_path: PathBuf,
    /// Held open, and locked, for the claim's lifetime.
    _lock: File,
}

impl Staging {
    /// Creates and claims a new staging folder in `parent` for the output folder `name`.
    pub fn create(parent: &Path, name: &str) -> std::io::Result<Staging> {
        // The lock file's name is unique (tempfile); the folder beside it could, in principle,
        // collide with a stale folder of the same random name, so try a few names.
        let mut last_error = None;
        for _ in 0..4 {
            let (lock, lock_path) = tempfile::Builder::new()
                .prefix(&prefix(name))
                .suffix(LOCK_SUFFIX)
                .tempfile_in(parent)?
                .keep()
                .map_err(|e| e.error)?;
            // Where the file system has no locks, the folder is written unclaimed: the sweep
            // cannot lock it either, so it is never taken for a dead run's.
            if let Err(e) = lock.lock() {
                if e.kind() != std::io::ErrorKind::Unsupported {
                    let _ = std::fs::remove_file(&lock_path);
                    return Err(e);
                }
            }
            let dir = staging_dir_of(&lock_path);
            match std::fs::create_dir(&dir) {
                Ok(()) => {
                    return Ok(Staging {
                        dir,
                        lock_path,
                        _lock: lock,
                    })
                }
                Err(e) => {
                    let _ = std::fs::remove_file(&lock_path);
                    last_error = Some(e);
                }
            }
        }
        Err(last_error.unwrap_or_else(|| std::io::Error::other("no staging folder")))
    }

    /// The folder to write into.
    pub fn path(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        // Folder first, lock file second: a folder never outlives its claim.
        if self.dir.exists() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
        let _ = std::fs::remove_file(&self.lock_path);
    }
}

/// The staging folder a lock file claims: its path without [`LOCK_SUFFIX`].
fn staging_dir_of(lock_path: &Path) -> PathBuf {
    let text = lock_path.to_string_lossy();
    PathBuf::from(text.strip_suffix(LOCK_SUFFIX).unwrap_or(&text).to_string())
}

/// Deletes the staging folders for the output folder `name` in `parent` that no live process
/// claims (see the module documentation), with their lock files; returns how many folders it
/// deleted. Best effort: what cannot be read, locked or deleted is left as it is.
pub fn remove_stale(parent: &Path, name: &str) -> usize {
    let prefix = prefix(name);
    let Ok(entries) = std::fs::read_dir(parent) else {
        return 0;
    };
    let names: Vec<String> = entries
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter(|n| n.starts_with(&prefix))
        .collect();
    let mut removed = 0;
    for entry in &names {
        let path = parent.join(entry);
        if entry.ends_with(LOCK_SUFFIX) {
            let Ok(lock) = File::options().write(true).open(&path) else {
                continue;
            };
            // Only a lock acquired says "no one holds it"; any error leaves the folder alone.
            if lock.try_lock().is_ok() {
                let dir = staging_dir_of(&path);
                if dir.is_dir() && std::fs::remove_dir_all(&dir).is_ok() {
                    removed += 1;
                }
                let _ = std::fs::remove_file(&path);
            }
        } else if path.is_dir() && !parent.join(format!("{entry}{LOCK_SUFFIX}")).exists() {
            // No lock file: a live process creates its lock file before the folder and removes
            // it after, so this folder is a dead process's (or an Attest older than the lock).
            // Looked up now, not in the listing, which may miss a file created while it ran.
            if std::fs::remove_dir_all(&path).is_ok() {
                removed += 1;
            }
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_staging_folder_is_claimed_while_alive_and_leaves_nothing_when_dropped() {
        let parent = tempfile::tempdir().unwrap();
        let staging = Staging::create(parent.path(), "run").unwrap();
        std::fs::write(staging.path().join("results.json"), "{}").unwrap();
        let names = listing(parent.path());
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(names[0].starts_with(".run.partial-") && names[1].ends_with(".lock"));
        // A live claim is never swept, by this process or another.
        assert_eq!(remove_stale(parent.path(), "run"), 0);
        assert!(staging.path().join("results.json").is_file());
        drop(staging);
        assert!(listing(parent.path()).is_empty());
    }

    #[test]
    fn a_dead_process_s_staging_folders_are_removed_and_others_kept() {
        let parent = tempfile::tempdir().unwrap();
        let p = parent.path();
        // A killed writer: folder and lock file, the lock released by its death.
        std::fs::create_dir(p.join(".run.partial-AbC123")).unwrap();
        std::fs::write(p.join(".run.partial-AbC123/predictions.parquet"), "x").unwrap();
        std::fs::write(p.join(".run.partial-AbC123.lock"), "").unwrap();
        // An Attest from before the lock files: a folder alone.
        std::fs::create_dir(p.join(".run.partial-old999")).unwrap();
        // Killed between creating its lock file and its folder.
        std::fs::write(p.join(".run.partial-zzz000.lock"), "").unwrap();
        // Another output folder's staging, and the user's files: not ours to touch.
        std::fs::create_dir(p.join(".other.partial-AbC123")).unwrap();
        std::fs::create_dir(p.join("run")).unwrap();
        std::fs::write(p.join("notes.txt"), "mine").unwrap();
        // A live writer of the same output.
        let live = Staging::create(p, "run").unwrap();

        assert_eq!(remove_stale(p, "run"), 2);
        let left = listing(p);
        assert!(
            left.contains(&".other.partial-AbC123".to_string()),
            "{left:?}"
        );
        assert!(left.contains(&"run".to_string()) && left.contains(&"notes.txt".to_string()));
        assert!(live.path().is_dir(), "{left:?}");
        assert_eq!(left.len(), 5, "{left:?}");
        drop(live);
        assert_eq!(listing(p).len(), 3);
    }
}
