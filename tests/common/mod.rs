//! Shared test helpers: the in-process CLI builder and paths to shared material.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use rapport::config::Paths;

/// `../shared/corpus` seen from the crate root (CI lays it out the same way);
/// from a git worktree under `wt/<name>` it is one level further up.
pub fn corpus_dir() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let direct = root.join("../shared/corpus");
    let from_worktree = root.join("../../shared/corpus");
    if !direct.exists() && from_worktree.exists() {
        return from_worktree;
    }
    direct
}

/// `tests/data` inside the crate.
pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

/// The result of one in-process CLI run.
pub struct Output {
    pub code: ExitCode,
    pub stdout: String,
    pub error: Option<String>,
}

impl Output {
    pub fn success(&self) -> bool {
        self.error.is_none() && self.code == ExitCode::SUCCESS
    }
}

/// Runs `rapport ARGS...` in-process with all files under `root`.
pub fn rapport(root: &Path, args: &[&str]) -> Output {
    let mut argv = vec!["rapport"];
    argv.extend_from_slice(args);
    let cli = rapport::cli::Cli::try_parse_from(argv).expect("command line parses");
    let mut paths = Paths::under(root);
    if let Some(c) = &cli.config {
        paths.config_file = c.clone();
    }
    let mut out = Vec::new();
    let result = rapport::cli::run(cli, &paths, &mut out);
    let stdout = String::from_utf8(out).expect("utf-8 output");
    match result {
        Ok(code) => Output {
            code,
            stdout,
            error: None,
        },
        Err(e) => Output {
            code: ExitCode::from(2),
            stdout,
            error: Some(format!("{e:#}")),
        },
    }
}

pub mod http;
