//! `geobench lab ...`: the local lab's own commands, their outcome mapped to `AppError`.

use super::AppError;
use crate::lab::LabCommand;

/// Runs a lab command; `lab exec`'s command's non-zero status is passed on as ours.
pub fn lab_command(cmd: LabCommand) -> Result<(), AppError> {
    match crate::lab::run(cmd)? {
        0 => Ok(()),
        code => Err(AppError::Exited(code)),
    }
}
