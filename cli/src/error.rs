//! The CLI's errors and the exit code of each.

use std::fmt;

/// Why a command failed.
#[derive(Debug)]
pub enum Error {
    /// Bad input found before asking the server (exit 2, as clap's usage errors).
    Usage(String),
    /// The registry does not know the contract, WASM or publisher (exit 3).
    NotFound(String),
    /// The API answered with an error (`extensions.code`); `NOT_FOUND` exits with 3.
    Api { code: String, message: String },
    /// Anything else (exit 1).
    Other(String),
}

impl Error {
    /// The process exit code.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) => 2,
            Error::NotFound(_) => 3,
            Error::Api { code, .. } if code == "NOT_FOUND" => 3,
            Error::Api { .. } | Error::Other(_) => 1,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(m) | Error::NotFound(m) | Error::Other(m) => f.write_str(m),
            Error::Api { code, message } => write!(f, "{code}: {message}"),
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        Error::Other(e.to_string())
    }
}
