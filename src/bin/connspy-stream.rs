//! `connspy-stream`: window-by-window summaries of a connection log.
//! The work is in [`connspy::tool::stream`]; this is `main` around it.

use connspy::cli::parse_args;
use connspy::cli::stream::StreamArgs;
use connspy::exit::status_of;
use connspy::tool::stream::{TOOL, run};

fn main() {
    std::process::exit(status_of(
        TOOL,
        parse_args::<StreamArgs>().and_then(|args| match args {
            Some(args) => run(args).map(drop),
            None => Ok(()),
        }),
    ));
}
