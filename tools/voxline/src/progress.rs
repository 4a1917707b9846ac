//! Progress bars for commands that can take more than a second (on stderr, and only when it
//! is a terminal: scripts and tests see nothing).

use indicatif::{ProgressBar, ProgressStyle};

/// A bar of `len` steps counting `unit` (e.g. "frames", "runs").
pub fn bar(len: u64, unit: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    let template = format!("  {{bar:40}} {{pos}}/{{len}} {unit} {{elapsed}}");
    bar.set_style(
        ProgressStyle::with_template(&template).unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}
