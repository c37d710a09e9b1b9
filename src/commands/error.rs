//! The one error type at the binary's edge: every way a command ends other than success, and
//! the exit code each maps to.

use crate::config::properties::ConfigError;
use crate::db::DbError;
use crate::runner::{self, RunError};
use std::path::Path;

/// Everything that can end a command, with its exit code.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Bad input: flags, workload files, values (exit 2).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The database could not be used at all: auth, unreachable, missing table (exit 2).
    #[error("{0}")]
    Setup(String),
    /// The phase ran but stopped on a fatal error (exit 1); results were written.
    #[error("{0}")]
    Failed(String),
    /// Ctrl-C (exit 130); results for what ran were written.
    #[error("interrupted")]
    Interrupted,
    /// The run finished but a consistency check found violations (exit 4); results were
    /// written.
    #[error("{0}")]
    Violations(String),
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
    /// `compare`: a metric regressed (exit 1); the comparison printed says which.
    #[error("regression")]
    Regressed,
    /// `compare`: the sides cannot be compared (exit 3); the comparison printed says why.
    #[error("incomparable: {0}")]
    Incomparable(String),
    /// A `lab` command failed (exit 2).
    #[error(transparent)]
    Lab(#[from] crate::lab::LabError),
    /// `lab exec`: the command run in the region's namespace exited with this status, passed
    /// on as ours.
    #[error("exit status {0}")]
    Exited(i32),
}

impl AppError {
    pub fn exit_code(&self) -> i32 {
        match self {
            AppError::Config(_) | AppError::Setup(_) | AppError::Lab(_) => 2,
            AppError::Failed(_) | AppError::Io { .. } | AppError::Regressed => 1,
            AppError::Interrupted => 130,
            AppError::Violations(_) => 4,
            AppError::Incomparable(_) => 3,
            AppError::Exited(code) => *code,
        }
    }

    /// Whether the command's own output has said it already (a comparison's verdict, the
    /// status of a command run for the user): then `main` adds no `error:` line.
    pub fn is_reported(&self) -> bool {
        matches!(
            self,
            AppError::Regressed | AppError::Incomparable(_) | AppError::Exited(_)
        )
    }
}

impl From<RunError> for AppError {
    fn from(e: RunError) -> Self {
        match e {
            RunError::Setup(e) => AppError::Setup(setup_message(&e)),
            RunError::Late(_) if runner::interrupted() => AppError::Interrupted,
            RunError::Thread(m) | RunError::Late(m) => AppError::Failed(m),
            RunError::Fleet(m) => AppError::Config(ConfigError::Other(m)),
        }
    }
}

pub(super) fn setup_message(e: &DbError) -> String {
    match e.code {
        Some(c) => format!("cannot start: {} (error {c})", e.message),
        None => format!("cannot start: {}", e.message),
    }
}

/// Bad input, said in `msg`.
pub(super) fn bad(msg: &str) -> AppError {
    AppError::Config(ConfigError::Other(msg.to_owned()))
}

/// Writes an output file; failing to is an I/O error naming it.
pub(super) fn write_file(path: &Path, body: &str) -> Result<(), AppError> {
    std::fs::write(path, body).map_err(|source| AppError::Io {
        context: format!("writing {}", path.display()),
        source,
    })
}

/// Creates an output directory; failing to is an I/O error naming it.
pub(super) fn create_dir(dir: &Path) -> Result<(), AppError> {
    std::fs::create_dir_all(dir).map_err(|source| AppError::Io {
        context: format!("creating {}", dir.display()),
        source,
    })
}

/// Prints the `chosen` format of a command's output on stdout and, with `out_dir`, writes
/// every format (`all`) to its own file there.
pub(super) fn print_and_write<F: Copy + PartialEq>(
    all: &[F],
    chosen: F,
    out_dir: Option<&Path>,
    render: impl Fn(F) -> String,
    file_name: impl Fn(F) -> &'static str,
) -> Result<(), AppError> {
    for &format in all {
        let body = render(format);
        if format == chosen {
            print!("{body}");
        }
        if let Some(dir) = out_dir {
            create_dir(dir)?;
            write_file(&dir.join(file_name(format)), &body)?;
        }
    }
    Ok(())
}
