//! The types every layer shares: what the backends report (error classes, server info, the
//! placement snapshot), the operations measured, a sweep step's summary line, and the objectives runs are judged by. This
//! module sits below everything else and imports nothing from the crate, so that using one of
//! its types drags no backend, runner or driver along.

pub mod errors;
pub mod objectives;
pub mod operation;
pub mod placement;
pub mod server;
pub mod step;

pub use errors::{DbError, ErrorClass};
pub use objectives::{PERCENTILES, Slo, Thresholds};
pub use operation::Operation;
pub use placement::{PlacementSnapshot, RegionPeers};
pub use server::{ClockOffset, ServerInfo};
pub use step::StepLine;
