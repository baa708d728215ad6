//! Feeds for the micro-benchmarks: the same generated feeds as `bench/run.sh` (gen_ics.py,
//! seed 42, `iana` style), read from `bench/out/` and generated there when missing.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The shared material: `$RAPPORT_SHARED`, else `../shared` next to the checkout (or next to
/// its parent, for worktrees).
fn shared_dir(root: &Path) -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("RAPPORT_SHARED") {
        return Some(PathBuf::from(dir));
    }
    [root.join("../shared"), root.join("../../shared")]
        .into_iter()
        .find(|d| d.join("bench/gen_ics.py").is_file())
}

/// The bytes of `bench/out/iana-<events>.ics`, generating it first if needed.
pub fn iana_feed(events: usize) -> Vec<u8> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = root.join("bench/out");
    let path = out.join(format!("iana-{events}.ics"));
    if !path.is_file() {
        let shared = shared_dir(root).unwrap_or_else(|| {
            panic!(
                "{} is missing and ../shared/bench/gen_ics.py was not found; \
                 run bench/run.sh once or set RAPPORT_SHARED",
                path.display()
            )
        });
        std::fs::create_dir_all(&out).expect("create bench/out");
        let status = Command::new("python3")
            .arg(shared.join("bench/gen_ics.py"))
            .args(["--events", &events.to_string(), "--seed", "42"])
            .args(["--tz-style", "iana", "--out"])
            .arg(&path)
            .status()
            .expect("run python3 gen_ics.py");
        assert!(status.success(), "gen_ics.py failed for {}", path.display());
    }
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}
