//! Loading certificates and private keys from PEM files, with errors that
//! say which file and what was wrong with it.

use std::path::{Path, PathBuf};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use thiserror::Error;

/// Why a PEM file could not be used.
#[derive(Debug, Error)]
pub enum PemError {
    /// The file could not be read or parsed as PEM.
    #[error("{path}: {reason}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The file parsed but held no item of the expected kind.
    #[error("{path}: no {what} found (expected a PEM block such as -----BEGIN {label}-----)")]
    Empty {
        /// The file.
        path: PathBuf,
        /// "certificate" or "private key".
        what: &'static str,
        /// The PEM label to look for.
        label: &'static str,
    },
}

/// Every certificate in a PEM file, in file order (a leaf then its chain).
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, PemError> {
    let read_err = |reason: String| PemError::Read {
        path: path.to_path_buf(),
        reason,
    };
    let iter = CertificateDer::pem_file_iter(path).map_err(|e| read_err(e.to_string()))?;
    let certs = iter
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| read_err(e.to_string()))?;
    if certs.is_empty() {
        return Err(PemError::Empty {
            path: path.to_path_buf(),
            what: "certificate",
            label: "CERTIFICATE",
        });
    }
    Ok(certs)
}

/// The first private key (PKCS#8, PKCS#1 or SEC1) in a PEM file.
pub fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, PemError> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| match e {
        rustls::pki_types::pem::Error::NoItemsFound => PemError::Empty {
            path: path.to_path_buf(),
            what: "private key",
            label: "PRIVATE KEY",
        },
        other => PemError::Read {
            path: path.to_path_buf(),
            reason: other.to_string(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_and_empty_files_name_the_file() {
        let dir = std::env::temp_dir().join(format!("hornet-tls-pem-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let missing = dir.join("missing.pem");
        let err = load_certs(&missing).unwrap_err().to_string();
        assert!(err.contains("missing.pem"), "{err}");
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "not pem at all\n").unwrap();
        let err = load_certs(&empty).unwrap_err().to_string();
        assert!(err.contains("no certificate found"), "{err}");
        let err = load_key(&empty).unwrap_err().to_string();
        assert!(err.contains("no private key found"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
