//! A warning said at most once a minute: limits are protection, not correctness, so a missing
//! Redis or REST shim lets requests pass, and the log says so without a line per request.

use std::{
    sync::Mutex,
    time::{Duration, Instant},
};

pub struct Warner {
    event: &'static str,
    what: &'static str,
    last: Mutex<Option<Instant>>,
}

impl Warner {
    /// `event` names the line as Hive Gateway's identity.ts and limiter name theirs.
    pub fn new(event: &'static str, what: &'static str) -> Self {
        Self {
            event,
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
        // One JSON line of its own on stderr, where the router's log goes.
        let line = serde_json::json!({
            "level": "warn",
            "event": self.event,
            "at": chrono::Utc::now().to_rfc3339(),
            "message": format!("{}: {cause}", self.what),
        });
        eprintln!("{line}");
    }
}
