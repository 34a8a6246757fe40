//! A warning said at most once a minute: limits are protection, not correctness, so a missing
//! Redis or REST shim lets requests pass, and the log says so without a line per request.

use std::{
    sync::Mutex,
    time::{Duration, Instant},
};

pub struct Warner {
    what: &'static str,
    last: Mutex<Option<Instant>>,
}

impl Warner {
    pub fn new(what: &'static str) -> Self {
        Self {
            what,
            last: Mutex::new(None),
        }
    }

    pub fn warn(&self, cause: &str) {
        let now = Instant::now();
        let mut last = self.last.lock().expect("warner");
        if matches!(*last, Some(at) if now.duration_since(at) < Duration::from_secs(60)) {
            return;
        }
        *last = Some(now);
        // One line of its own on stderr, where the router's log goes.
        eprintln!("{}: {cause}", self.what);
    }
}
