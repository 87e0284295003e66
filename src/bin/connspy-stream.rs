//! `connspy-stream`: window-by-window summaries of a connection log.
//! The work is in [`connspy::tool::stream`]; this is `main` around it.

use std::process::ExitCode;

use connspy::cli::parse_args;
use connspy::cli::stream::StreamArgs;
use connspy::tool::status_of;
use connspy::tool::stream::TOOL;

fn run() -> anyhow::Result<()> {
    if let Some(args) = parse_args::<StreamArgs>()? {
        connspy::tool::stream::run(args)?;
    }
    Ok(())
}

fn main() -> ExitCode {
    status_of(TOOL, run()).into()
}
