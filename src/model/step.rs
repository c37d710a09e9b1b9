//! A sweep step as the closing summary prints it: the sweep produces it, the report renders it.

/// One finished step, for the closing summary.
#[derive(Debug, Clone)]
pub struct StepLine {
    pub deployment: String,
    pub concurrency: usize,
    pub repeat: usize,
    pub throughput: f64,
    pub p99_us: Option<f64>,
    /// Taken from an earlier run of the sweep (`--resume`).
    pub resumed: bool,
}
