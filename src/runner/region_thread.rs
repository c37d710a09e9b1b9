//! Client-side work for a region runs on an OS thread of its own, inside the region's network
//! namespace when the topology names one (the lab's regions), with a current-thread tokio
//! runtime. Entering a namespace moves only the calling thread, hence a new thread each time.

use std::future::Future;
use std::thread::{Scope, ScopedJoinHandle};
use tokio::runtime::Runtime;

/// Moves the calling thread into `netns` (if any) and builds its runtime; the error says which
/// of the two failed.
pub(super) fn runtime_in(netns: Option<&str>) -> Result<Runtime, String> {
    if let Some(ns) = netns {
        crate::netns::enter(ns).map_err(|e| e.to_string())?;
    }
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))
}

/// Runs the future `work` makes to completion on a new thread of `scope` inside `netns`. The
/// future is made on that thread, so it need not be `Send`.
pub(super) fn spawn_in<'scope, F, Fut>(
    scope: &'scope Scope<'scope, '_>,
    netns: Option<&'scope str>,
    work: F,
) -> ScopedJoinHandle<'scope, Result<Fut::Output, String>>
where
    F: FnOnce() -> Fut + Send + 'scope,
    Fut: Future,
    Fut::Output: Send + 'scope,
{
    scope.spawn(move || Ok(runtime_in(netns)?.block_on(work())))
}
