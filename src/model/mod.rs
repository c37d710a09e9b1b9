//! The types every layer shares: what the backends report (error classes, server info, the
//! placement snapshot) and what measurement, results and analysis read. This module sits
//! below everything else and imports nothing from the crate, so that using one of its types
//! drags no backend, runner or driver along.

pub mod errors;
pub mod placement;
pub mod server;

pub use errors::{DbError, ErrorClass};
pub use placement::{PlacementSnapshot, RegionPeers};
pub use server::{ClockOffset, ServerInfo};
