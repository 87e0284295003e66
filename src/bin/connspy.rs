//! `connspy`: which hosts connected to (or from) one host between two
//! times, found by seeking into the log instead of scanning it.
//! The work is in [`connspy::tool::query`]; this is `main` around it.

use std::process::ExitCode;

use connspy::cli::parse_args;
use connspy::cli::query::QueryArgs;
use connspy::tool::query::TOOL;
use connspy::tool::status_of;

fn run() -> anyhow::Result<()> {
    if let Some(args) = parse_args::<QueryArgs>()? {
        connspy::tool::query::run(args)?;
    }
    Ok(())
}

fn main() -> ExitCode {
    status_of(TOOL, run()).into()
}
