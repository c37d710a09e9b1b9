//! Ctrl-C: the first one stops the current phase cleanly (results of what ran are kept), a
//! second one ends the process at once. A small thread waits on `tokio::signal` so that no
//! code runs inside a signal handler.

use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static INSTALL: Once = Once::new();

/// Makes Ctrl-C stop the current phase cleanly instead of killing the process.
pub fn install_interrupt_handler() {
    INSTALL.call_once(|| {
        let spawned = std::thread::Builder::new().name("ctrl-c".into()).spawn(|| {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_io()
                .build()
            else {
                return;
            };
            rt.block_on(async {
                while tokio::signal::ctrl_c().await.is_ok() {
                    if INTERRUPTED.swap(true, Ordering::SeqCst) {
                        std::process::exit(130);
                    }
                }
            });
        });
        if let Err(e) = spawned {
            eprintln!("warning: no Ctrl-C handling ({e}): Ctrl-C will kill the run");
        }
    });
}

/// Whether Ctrl-C was pressed (a sweep checks this between steps).
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}
