//! Output files written whole or not at all.
//!
//! Every file hornet writes (`--json`, `--html`, `--csv`, `--hdr-log`,
//! `hornet report`) goes to a temporary file in the same directory
//! (`.NAME.XXXXXX.tmp`) and is renamed over its final path only once it is
//! complete. A run that fails, or is killed, never leaves a truncated file
//! behind, and never destroys the result an earlier run left at that path.
//! The rename is atomic because both names are in one directory (one file
//! system).
//!
//! [`check`] is the up-front test that a path can be written (run before
//! any traffic, so a typo fails in milliseconds, not after an hour); it
//! creates and removes a temporary file beside the path and leaves the
//! path itself alone.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

/// A file being written; it appears at its path only on [`commit`].
/// Dropped without a commit, it vanishes.
///
/// [`commit`]: AtomicFile::commit
#[derive(Debug)]
pub struct AtomicFile {
    out: BufWriter<NamedTempFile>,
    path: PathBuf,
}

impl AtomicFile {
    /// Starts writing `path` (through a temporary file beside it).
    pub fn create(path: &Path) -> io::Result<AtomicFile> {
        let path = destination(path)?;
        let tmp = temp_beside(&path)?;
        Ok(AtomicFile {
            out: BufWriter::new(tmp),
            path,
        })
    }

    /// Flushes what is buffered to the temporary file (it stays hidden).
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Flushes, syncs and renames the file into place.
    pub fn commit(self) -> io::Result<()> {
        let tmp = self.out.into_inner().map_err(|e| e.into_error())?;
        // Synced before the rename, so a power cut cannot leave the new
        // name pointing at blocks that were never written.
        tmp.as_file().sync_all()?;
        tmp.persist(&self.path).map_err(|e| e.error)?;
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.out.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Writes `path` whole with `fill`, or leaves it as it was.
pub fn write_with(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let mut f = AtomicFile::create(path)?;
    fill(&mut f)?;
    f.commit()
}

/// Writes `bytes` to `path` whole, or leaves it as it was.
pub fn write_bytes(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_with(path, |w| w.write_all(bytes))
}

/// Checks, before a run, that `path` can be written: it is not a
/// directory, its directory exists and accepts a new file. The path itself
/// is neither created nor touched.
pub fn check(path: &Path) -> io::Result<()> {
    let path = destination(path)?;
    if path.is_dir() {
        return Err(io::Error::from_raw_os_error(libc::EISDIR));
    }
    // Created and removed at once (NamedTempFile deletes on drop).
    temp_beside(&path).map(drop)
}

/// The file that will really be replaced: a symbolic link is followed, so
/// the link stays and its target gets the new contents.
fn destination(path: &Path) -> io::Result<PathBuf> {
    if path.as_os_str().is_empty() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "empty path"));
    }
    let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    if is_link {
        if let Ok(target) = std::fs::canonicalize(path) {
            return Ok(target);
        }
    }
    Ok(path.to_path_buf())
}

/// A new hidden temporary file in `path`'s directory, named after it.
/// Created with mode 0666 before the umask, like `File::create`, so the
/// renamed result has the usual permissions.
fn temp_beside(path: &Path) -> io::Result<NamedTempFile> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map_or_else(|| "hornet".into(), |n| n.to_string_lossy().into_owned());
    let prefix = format!(".{name}.");
    tempfile::Builder::new()
        .prefix(&prefix)
        .suffix(".tmp")
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666))
        .tempfile_in(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_appears_only_when_committed() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.json");
        std::fs::write(&p, "old").unwrap();
        let mut f = AtomicFile::create(&p).unwrap();
        f.write_all(b"new").unwrap();
        f.flush().unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "old");
        f.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "new");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "no temporary file left behind");
    }

    #[test]
    fn a_failed_write_leaves_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.json");
        std::fs::write(&p, "old").unwrap();
        let r = write_with(&p, |w| {
            w.write_all(b"half")?;
            Err(io::Error::other("boom"))
        });
        assert!(r.is_err());
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn check_touches_nothing_and_rejects_directories_and_missing_dirs() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.json");
        check(&p).unwrap();
        assert!(!p.exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        assert!(check(dir.path()).is_err());
        assert!(check(&dir.path().join("no/such/dir/r.json")).is_err());
    }

    #[test]
    fn permissions_are_the_usual_ones() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.html");
        write_bytes(&p, b"x").unwrap();
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        // 0666 minus whatever umask the test runs under: readable by the
        // group at least when the umask allows it, never 0600-only by
        // accident of the temporary file.
        // SAFETY: umask(2) only reads and sets the mask; restored at once.
        let umask = unsafe {
            let m = libc::umask(0o022);
            libc::umask(m);
            m
        };
        assert_eq!(mode, 0o666 & !(umask as u32));
    }

    #[test]
    fn a_symlink_is_followed() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.json");
        let link = dir.path().join("link.json");
        std::fs::write(&real, "old").unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_bytes(&link, b"new").unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "new");
    }
}
