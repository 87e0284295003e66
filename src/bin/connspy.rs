//! `connspy`: which hosts connected to (or from) one host between two
//! times, found by seeking into the log instead of scanning it.
//! The work is in [`connspy::tool::query`]; this is `main` around it.

use connspy::cli::parse_args;
use connspy::cli::query::QueryArgs;
use connspy::exit::status_of;
use connspy::tool::query::{TOOL, run};

fn main() {
    std::process::exit(status_of(
        TOOL,
        parse_args::<QueryArgs>().and_then(|args| match args {
            Some(args) => run(args),
            None => Ok(()),
        }),
    ));
}
