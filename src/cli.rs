//! The command line: clap definitions and the single place that maps errors to
//! exit codes (as ripgrep's main does). Subcommands call into the library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "rapport",
    version,
    about = "Meeting prep from your calendar and your notes about people"
)]
pub struct Cli {
    /// Configuration file (default: $RAPPORT_CONFIG, else ~/.config/rapport/config.toml).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// More log output (-v debug, -vv trace); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show upcoming meetings.
    Agenda(AgendaArgs),
}

#[derive(Debug, Args)]
pub struct AgendaArgs {
    /// Start of the window: an RFC 3339 instant, or a date (local midnight). Default: now.
    #[arg(long)]
    pub from: Option<String>,
    /// End of the window (exclusive). Default: 7 days after --from.
    #[arg(long)]
    pub to: Option<String>,
    /// Read this calendar (file, http(s):// or webcal:// URL) instead of the configured ones. Repeatable.
    #[arg(long = "ics", value_name = "PATH_OR_URL")]
    pub ics: Vec<String>,
    /// Also list cancelled occurrences.
    #[arg(long)]
    pub include_cancelled: bool,
    /// Print one JSON array instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Entry point of the binary: parse, run, map the result to an exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let paths = crate::config::Paths::from_env(cli.config.clone());
    // Buffered: stdout is line-buffered, and `agenda --json` prints a line per key (a 10k-event
    // feed's agenda made 270k write calls, a third of its run time; see BENCHMARKS.md).
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let result = run(cli, &paths, &mut out);
    let flushed = std::io::Write::flush(&mut out);
    match result.and_then(|code| flushed.map(|()| code).map_err(Into::into)) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("rapport: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// Runs a parsed command line with the given file locations, writing the
/// command's output to `out`. Tests call this in-process.
pub fn run(
    cli: Cli,
    paths: &crate::config::Paths,
    out: &mut dyn std::io::Write,
) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Agenda(args) => crate::agenda::run(&args, paths, out),
    }
}
