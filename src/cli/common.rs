//! The options both tools share, declared once and flattened into each.

use clap::Args;

use crate::cli::{input_format_arg, lateness_arg};
use crate::output::Format;
use crate::parse::format::InputFormat;
use crate::parse::timestamp::Duration;

/// Options with the same meaning in `connspy` and `connspy-stream`.
#[derive(Args, Debug, Clone)]
pub struct CommonArgs {
    /// The lateness bound L: no record is more than L seconds older than
    /// the newest record before it. Fast seek, the early stop and the
    /// closing of windows rely on it. Example: --max-log-late-seconds 600
    #[arg(long = "max-log-late-seconds", alias = "max_log_late_seconds",
          value_name = "SECONDS", default_value = "300", value_parser = lateness_arg,
          allow_hyphen_values = true)]
    pub lateness: Duration,

    /// Stop with exit status 1 at the first malformed line.
    #[arg(long)]
    pub strict: bool,

    /// Print no diagnostics: no notes, warnings, progress bar or reports of
    /// malformed lines (errors are still reported).
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Say on stderr which inputs are compressed (gzip and zstd inputs are
    /// recognised by their first bytes and decompressed).
    #[arg(short, long)]
    pub verbose: bool,

    /// Output format: tsv (the original's lines), csv (with a header line)
    /// or jsonl (one JSON object per line). A host's bytes are kept exactly
    /// (in JSON as the code points U+0000..U+00FF).
    #[arg(long, value_name = "FORMAT", default_value = "tsv")]
    pub format: Format,

    /// How to read the inputs: auto (each input told by its first line),
    /// plain (TS FROM_HOST TO_HOST), zeek (Zeek TSV conn.log), zeek-json
    /// (Zeek JSON lines) or vpc (AWS VPC flow logs). See docs/formats.md.
    /// Example: --input-format zeek
    #[arg(long = "input-format", value_name = "FORMAT", default_value = "auto",
          value_parser = input_format_arg,
          hide_possible_values = true)]
    pub input_format: InputFormat,
}
