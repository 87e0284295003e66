//! genlog: a deterministic generator of realistic connection logs (docs/behaviour.md#parsing)
//! for benchmarks and tests of `connspy` and `connspy-stream`.
//!
//!     cargo run --release --example genlog -- --lines 3000000 --report --out log.txt
//!
//! `--log-format zeek|zeek-json|vpc` writes the same records as a Zeek TSV
//! `conn.log` (header block, `#close`), Zeek JSON lines or an AWS VPC flow
//! log: the answers of both tools are then the same as on the plain log
//! (for `vpc`, whose times are whole seconds, with `--ts-format s`).
//!
//! `--archive DIR` writes the lines as an archive instead: one gzipped file
//! per `--archive-every` seconds of base time (an hour by default), named
//! and foldered as Zeek names its rotated logs
//! (`DIR/2019-08-12/conn.22:00:00-23:00:00.log.gz`), each a complete log of
//! its format (a Zeek file has its own header block and `#close`). A
//! file holds the records written in its interval, which may be up to
//! `--late` older than its start, as Zeek's do.
//!
//! The same seed and options give byte-identical output. The randomness is a
//! seeded splitmix64 written here instead of the `rand` crates, so that a
//! dependency upgrade can never silently change a benchmark's input; host
//! names depend only on the host's popularity rank, never on the seed, so the
//! popular and rare hosts of logs of different sizes are the same names.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};

/// Writes `--lines` lines `TS FROM_HOST TO_HOST` whose base time rises steadily
/// from --start to --start + --span, with a fraction of late records that keep
/// the lateness bound L = --late.
#[derive(Parser, Debug)]
#[command(name = "genlog")]
struct Args {
    /// Number of lines to write.
    #[arg(long)]
    lines: u64,
    /// Seed of the random stream.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output file [default: stdout].
    #[arg(long, conflicts_with = "archive")]
    out: Option<PathBuf>,
    /// Write a folder of gzipped files, one per --archive-every seconds,
    /// named as Zeek names its hourly logs, instead of one file.
    #[arg(long, value_name = "DIR")]
    archive: Option<PathBuf>,
    /// Seconds of base time per file of --archive (dividing a day).
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 3600,
        requires = "archive"
    )]
    archive_every: u64,
    /// Base time of the first line, unix seconds (2019-08-12T22:00:00Z).
    #[arg(long, default_value_t = 1_565_647_200)]
    start: u64,
    /// Seconds the base time covers across all lines.
    #[arg(long, default_value_t = 86_400)]
    span: u64,
    /// Largest lateness of a late record, whole seconds: the bound L the log keeps.
    #[arg(long, default_value_t = 300)]
    late: u64,
    /// Fraction of records that are late by a uniform amount in [0, --late].
    #[arg(long, default_value_t = 0.1, value_parser = fraction)]
    late_fraction: f64,
    /// Number of distinct hosts, ranked by Zipf-like popularity.
    #[arg(long, default_value_t = 10_000)]
    hosts: u64,
    /// Zipf exponent: the host of rank k (from 1) is drawn with weight 1/k^S.
    #[arg(long, value_name = "S", default_value_t = 1.05, value_parser = zipf_exponent)]
    zipf: f64,
    /// Fraction of hosts named by an address like 10.158.213.88 instead of a name.
    #[arg(long, default_value_t = 0.05, value_parser = fraction)]
    ip_fraction: f64,
    /// Fraction of host tokens printed with a capital first letter.
    #[arg(long, default_value_t = 0.0, value_parser = fraction)]
    upper_fraction: f64,
    /// How TS is printed.
    #[arg(long, value_enum, default_value_t = TsFormat::Ms)]
    ts_format: TsFormat,
    /// Fraction of lines replaced by malformed ones of varied forms.
    #[arg(long, default_value_t = 0.0, value_parser = fraction)]
    malformed: f64,
    /// Field separators and line ends.
    #[arg(long, value_enum, default_value_t = Separators::Space)]
    sep: Separators,
    /// Leave the last line without its line end.
    #[arg(long)]
    no_final_newline: bool,
    /// Print to stderr the top 20 TO hosts and the hosts nearest a 0.5% share.
    #[arg(long)]
    report: bool,
    /// Host that receives connections from --fan-in-sources distinct new hosts
    /// (spread evenly over the lines; those lines are never malformed).
    #[arg(long, requires = "fan_in_sources")]
    fan_in_host: Option<String>,
    /// Number of distinct sources connecting to --fan-in-host, one line each.
    #[arg(long, requires = "fan_in_host")]
    fan_in_sources: Option<u64>,
    /// The log format: the same records as plain lines, a Zeek TSV
    /// conn.log, Zeek JSON lines or an AWS VPC flow log. The fields that
    /// are not TS, FROM or TO are made up from the line number.
    #[arg(long, value_enum, default_value_t = LogFormat::Plain)]
    log_format: LogFormat,
    /// zeek: close the log and start a new header block every N lines, as
    /// rotated files concatenated.
    #[arg(long, value_name = "N")]
    rotate_lines: Option<u64>,
    /// zeek-json: write ts as an ISO 8601 string instead of a number.
    #[arg(long)]
    iso_ts: bool,
    /// vpc: start with a header line naming a custom field order (and
    /// write the records in it) instead of the default version 2 order.
    #[arg(long)]
    vpc_header: bool,
    /// vpc: fraction of extra NODATA/SKIPDATA records (not connections).
    #[arg(long, default_value_t = 0.0, value_parser = fraction)]
    nodata_fraction: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum LogFormat {
    /// `TS FROM_HOST TO_HOST`.
    Plain,
    /// Zeek TSV conn.log.
    Zeek,
    /// Zeek JSON lines.
    ZeekJson,
    /// AWS VPC flow log.
    Vpc,
}

const ZEEK_FIELDS: &str = "ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents";
const ZEEK_TYPES: &str = "time\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]";
const VPC_CUSTOM_HEADER: &str = "version srcaddr dstaddr start end account-id interface-id srcport dstport protocol packets bytes action log-status";

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum TsFormat {
    /// Whole seconds: 1565647204
    S,
    /// Milliseconds: 1565647204351
    Ms,
    /// Seconds with 3 fraction digits: 1565647204.351
    Frac,
    /// One of the three, at random per line.
    Mix,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Separators {
    /// One space between fields, `\n` line ends.
    Space,
    /// Runs of spaces and tabs, leading and trailing whitespace, some `\r\n`.
    Mixed,
}

fn fraction(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(f) if (0.0..=1.0).contains(&f) => Ok(f),
        _ => Err("expected a number from 0 to 1".into()),
    }
}

fn zipf_exponent(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if s.is_finite() && s >= 0.0 => Ok(s),
        _ => Err("expected a finite number >= 0".into()),
    }
}

/// Times must read back as what they are: a seconds value above
/// 999999999999 would be taken for milliseconds, and a milliseconds value
/// below 10^12 (before 2001-09-09) for seconds.
const MIN_SECONDS: u64 = 1_000_000_000;
const MAX_SECONDS: u64 = 999_999_999_999;

/// Host addresses are `10.x.y.z`, one distinct 24-bit value per host.
const MAX_HOSTS: u64 = 1 << 24;

impl Args {
    fn validate(&self) -> Result<(), String> {
        if self.hosts == 0 {
            return Err("--hosts must be at least 1".into());
        }
        let fan_in = self.fan_in_sources.unwrap_or(0);
        if self.hosts.saturating_add(fan_in) > MAX_HOSTS {
            return Err(format!(
                "--hosts plus --fan-in-sources must be at most {MAX_HOSTS}"
            ));
        }
        if fan_in > self.lines {
            return Err("--fan-in-sources must not exceed --lines".into());
        }
        if let Some(host) = &self.fan_in_host
            && (host.is_empty() || host.bytes().any(|b| b.is_ascii_whitespace()))
        {
            return Err("--fan-in-host must be one non-empty token".into());
        }
        if self.archive_every == 0 || 86_400 % self.archive_every != 0 {
            return Err("--archive-every must divide a day (86400 seconds)".into());
        }
        if self.archive.is_some() && self.rotate_lines.is_some() {
            return Err(
                "--archive starts a header block in each file: leave out --rotate-lines".into(),
            );
        }
        if self
            .start
            .checked_sub(self.late)
            .is_none_or(|t| t < MIN_SECONDS)
            || self.start.saturating_add(self.span) > MAX_SECONDS
        {
            return Err(format!(
                "times from --start - --late to --start + --span must lie in \
                 [{MIN_SECONDS}, {MAX_SECONDS}] seconds"
            ));
        }
        Ok(())
    }
}

/// splitmix64 (Steele, Lea, Flood 2014): tiny, fast, statistically sound for
/// test data, and its stream for a seed is fixed forever.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.0)
    }

    /// Uniform in [0, n) by multiply-shift (Lemire); the bias is below n/2^64.
    fn below(&mut self, n: u64) -> u64 {
        ((self.next() as u128 * n as u128) >> 64) as u64
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        unit(self.next())
    }

    /// True with probability `p`; draws nothing when `p` is 0, so options
    /// left at 0 cost nothing per line.
    fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && self.unit() < p
    }
}

/// The splitmix64 finaliser: a bijective mix of 64 bits.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn unit(bits: u64) -> f64 {
    (bits >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Zipf-like popularity over host ranks: rank k (from 0) has weight 1/(k+1)^s.
struct Popularity {
    /// Cumulative normalised weights; the last is exactly 1.
    cdf: Vec<f64>,
}

impl Popularity {
    fn new(hosts: u64, s: f64) -> Popularity {
        let mut total = 0.0;
        let mut cdf: Vec<f64> = (1..=hosts)
            .map(|k| {
                total += (k as f64).powf(-s);
                total
            })
            .collect();
        cdf.iter_mut().for_each(|c| *c /= total);
        Popularity { cdf }
    }

    fn sample(&self, rng: &mut Rng) -> usize {
        let u = rng.unit();
        self.cdf.partition_point(|&c| c <= u)
    }
}

/// Name syllables. Every onset is consonants, every vowel vowels, so a name
/// splits back into its parts unambiguously (maximal vowel runs are vowels,
/// the consonant runs before them onsets, a trailing one the coda); with all
/// table entries distinct, different parts always spell different names.
/// The empty onset (index 0) is allowed in the first syllable only.
const ONSETS: [&str; 25] = [
    "", "b", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "ch",
    "dr", "gr", "kr", "sh", "st", "tr",
];
const VOWELS: [&str; 9] = ["a", "e", "i", "o", "u", "ai", "ee", "ia", "ou"];
const CODAS: [&str; 6] = ["", "n", "r", "s", "l", "k"];

/// Writes the name of host `index` (0 is the most popular): an address for a
/// fixed pseudo-random `ip_fraction` of the indices, else a pronounceable
/// name. Distinct indices always get distinct names: the addresses are a
/// bijection of the index, and so are the names (see [`syllable_name`]).
fn write_host_name(index: u64, ip_fraction: f64, out: &mut Vec<u8>) {
    // Salted, so that this choice is unrelated to the name permutation.
    if unit(mix(index ^ 0x1f_a7e5)) < ip_fraction {
        let bits = permute(index, MAX_HOSTS);
        out.extend_from_slice(b"10");
        for shift in [16, 8, 0] {
            out.push(b'.');
            push_u64(out, (bits >> shift) & 0xff);
        }
    } else {
        syllable_name(index, out);
    }
}

/// Names of 2 syllables come first (the most popular hosts get the short
/// names), then 3, and so on. Within the block of one syllable count the
/// index is permuted so that neighbouring ranks do not look alike, then read
/// as mixed-radix digits choosing each part.
fn syllable_name(index: u64, out: &mut Vec<u8>) {
    let first = (ONSETS.len() * VOWELS.len()) as u64;
    let later = ((ONSETS.len() - 1) * VOWELS.len()) as u64;
    let mut n = index;
    let mut later_syllables = 1;
    let mut block = first * later * CODAS.len() as u64;
    while n >= block {
        n -= block;
        later_syllables += 1;
        block *= later;
    }
    let mut digits = permute(n, block);
    let mut take = |radix: usize| {
        let d = (digits % radix as u64) as usize;
        digits /= radix as u64;
        d
    };
    out.extend_from_slice(ONSETS[take(ONSETS.len())].as_bytes());
    out.extend_from_slice(VOWELS[take(VOWELS.len())].as_bytes());
    for _ in 0..later_syllables {
        out.extend_from_slice(ONSETS[1 + take(ONSETS.len() - 1)].as_bytes());
        out.extend_from_slice(VOWELS[take(VOWELS.len())].as_bytes());
    }
    out.extend_from_slice(CODAS[take(CODAS.len())].as_bytes());
}

/// A fixed pseudo-random permutation of [0, size): an invertible scramble of
/// the bits up to the next power of two, repeated until the value falls back
/// into range (cycle walking; fewer than 2 rounds on average).
fn permute(n: u64, size: u64) -> u64 {
    let bits = size.next_power_of_two().trailing_zeros();
    let mask = size.next_power_of_two() - 1;
    let shift = bits.div_ceil(2).max(1);
    let mut x = n;
    loop {
        // Each step is invertible modulo 2^bits: xor with a constant, odd
        // multiplications, xor with a right shift of itself.
        x = (x ^ 0x2545_f491_4f6c_dd1d) & mask;
        x = x.wrapping_mul(0x9e37_79b9_7f4a_7c15) & mask;
        x ^= x >> shift;
        x = x.wrapping_mul(0xd6e8_feb8_6659_fd93) & mask;
        x ^= x >> shift;
        if x < size {
            return x;
        }
    }
}

/// Appends `v` in decimal without allocating.
fn push_u64(out: &mut Vec<u8>, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

/// The printed form of one timestamp.
#[derive(Clone, Copy)]
enum Unit {
    Seconds,
    Millis,
    Fraction,
}

fn push_ts(out: &mut Vec<u8>, ms: u64, unit: Unit) {
    match unit {
        Unit::Millis => push_u64(out, ms),
        Unit::Seconds => push_u64(out, ms / 1000),
        Unit::Fraction => {
            push_u64(out, ms / 1000);
            let frac = ms % 1000;
            out.extend_from_slice(&[
                b'.',
                b'0' + (frac / 100) as u8,
                b'0' + (frac / 10 % 10) as u8,
                b'0' + (frac % 10) as u8,
            ]);
        }
    }
}

/// Forms of malformed lines, each rejected by the parser for its own reason.
#[derive(Clone, Copy)]
enum Malformed {
    Blank,
    WhitespaceOnly,
    OneField,
    TwoFields,
    FourFields,
    LetterInTs,
    Comment,
    EmptyFraction,
    Negative,
}

const MALFORMED: [Malformed; 9] = [
    Malformed::Blank,
    Malformed::WhitespaceOnly,
    Malformed::OneField,
    Malformed::TwoFields,
    Malformed::FourFields,
    Malformed::LetterInTs,
    Malformed::Comment,
    Malformed::EmptyFraction,
    Malformed::Negative,
];

impl Malformed {
    /// Host fields after the first field.
    fn host_fields(self) -> usize {
        match self {
            Malformed::OneField => 0,
            Malformed::TwoFields => 1,
            Malformed::FourFields => 3,
            _ => 2,
        }
    }
}

/// Host names of all ranks, precomputed once so a line only copies bytes.
struct HostTable {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl HostTable {
    fn new(hosts: u64, ip_fraction: f64) -> HostTable {
        let mut bytes = Vec::new();
        let ends = (0..hosts)
            .map(|rank| {
                write_host_name(rank, ip_fraction, &mut bytes);
                bytes.len()
            })
            .collect();
        HostTable { bytes, ends }
    }

    fn name(&self, rank: usize) -> &[u8] {
        let start = if rank == 0 { 0 } else { self.ends[rank - 1] };
        &self.bytes[start..self.ends[rank]]
    }
}

/// A host token of a line.
#[derive(Clone, Copy)]
enum Host {
    /// A host of the popularity ranking.
    Ranked(usize),
    /// --fan-in-host.
    FanIn,
    /// The fan-in source of the current line, named in `Generator::source`.
    FanInSource,
}

struct Generator<'a> {
    args: &'a Args,
    rng: Rng,
    popularity: Popularity,
    hosts: HostTable,
    fan_in_host: &'a [u8],
    /// The line being built, reused for every line.
    line: Vec<u8>,
    /// Name of the fan-in source of the current line.
    source: Vec<u8>,
    /// Records per TO host: one slot per rank, then the fan-in host.
    to_counts: Vec<u64>,
}

impl<'a> Generator<'a> {
    fn new(args: &'a Args) -> Generator<'a> {
        Generator {
            args,
            rng: Rng(args.seed),
            popularity: Popularity::new(args.hosts, args.zipf),
            hosts: HostTable::new(args.hosts, args.ip_fraction),
            fan_in_host: args.fan_in_host.as_deref().unwrap_or("").as_bytes(),
            line: Vec::with_capacity(256),
            source: Vec::with_capacity(64),
            to_counts: vec![0; args.hosts as usize + 1],
        }
    }

    fn run(&mut self, out: &mut impl Write) -> io::Result<()> {
        self.start_log(out, 0)?;
        for i in 0..self.args.lines {
            if self.args.log_format == LogFormat::Zeek
                && i > 0
                && self.args.rotate_lines.is_some_and(|n| n > 0 && i % n == 0)
            {
                self.zeek_close(out, i)?;
                self.zeek_header(out, i)?;
            }
            self.write_line(i);
            out.write_all(&self.line)?;
        }
        self.end_log(out, self.args.lines)?;
        out.flush()
    }

    /// Writes the lines into `dir`, one gzipped file per `--archive-every`
    /// seconds of base time (see the module doc); an interval without a
    /// line gets no file, as with Zeek.
    fn run_archive(&mut self, dir: &std::path::Path) -> io::Result<()> {
        let every_ms = self.args.archive_every * 1000;
        let mut current: Option<(u64, GzFile)> = None;
        for i in 0..self.args.lines {
            let interval = self.base_ms(i) / every_ms;
            if current.as_ref().is_none_or(|(open, _)| *open != interval) {
                if let Some((_, mut file)) = current.take() {
                    self.end_log(&mut file, i)?;
                    file.finish()?.flush()?;
                }
                let mut file = create_gz(&archive_path(
                    dir,
                    interval * every_ms / 1000,
                    self.args.archive_every,
                ))?;
                self.start_log(&mut file, i)?;
                current = Some((interval, file));
            }
            self.write_line(i);
            let (_, file) = current.as_mut().expect("a file is open");
            file.write_all(&self.line)?;
        }
        if let Some((_, mut file)) = current {
            self.end_log(&mut file, self.args.lines)?;
            file.finish()?.flush()?;
        }
        Ok(())
    }

    /// What a log of the format starts with, at the time of line `i`.
    fn start_log(&self, out: &mut impl Write, i: u64) -> io::Result<()> {
        match self.args.log_format {
            LogFormat::Zeek => self.zeek_header(out, i),
            LogFormat::Vpc if self.args.vpc_header => writeln!(out, "{VPC_CUSTOM_HEADER}"),
            _ => Ok(()),
        }
    }

    /// What a log of the format ends with, before line `i`.
    fn end_log(&self, out: &mut impl Write, i: u64) -> io::Result<()> {
        match self.args.log_format {
            LogFormat::Zeek => self.zeek_close(out, i),
            _ => Ok(()),
        }
    }

    /// A Zeek header block, opened at the time of line `i`.
    fn zeek_header(&self, out: &mut impl Write, i: u64) -> io::Result<()> {
        let open = jiff::Timestamp::from_second(
            (self.base_ms(i.min(self.args.lines.saturating_sub(1))) / 1000) as i64,
        )
        .map_or_else(
            |_| "-".to_string(),
            |t| t.strftime("%Y-%m-%d-%H-%M-%S").to_string(),
        );
        write!(
            out,
            "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n\
             #path\tconn\n#open\t{open}\n#fields\t{ZEEK_FIELDS}\n#types\t{ZEEK_TYPES}\n"
        )
    }

    fn zeek_close(&self, out: &mut impl Write, i: u64) -> io::Result<()> {
        let close = jiff::Timestamp::from_second((self.base_ms(i.saturating_sub(1)) / 1000) as i64)
            .map_or_else(
                |_| "-".to_string(),
                |t| t.strftime("%Y-%m-%d-%H-%M-%S").to_string(),
            );
        writeln!(out, "#close\t{close}")
    }

    /// Rewrites the plain line just built as a line of `--log-format`:
    /// the same time and hosts (a malformed line becomes a line of the
    /// format with a bad time). The other fields come from a random
    /// stream of their own, so the records are those of the plain log.
    fn reformat(&mut self, i: u64, ts_ms: u64, malformed: bool) {
        let format = self.args.log_format;
        if format == LogFormat::Plain {
            return;
        }
        let plain = std::mem::take(&mut self.line);
        let mut tokens = plain
            .split(|b| b" \t\r\n\x0b\x0c".contains(b))
            .filter(|t| !t.is_empty());
        let (from, to) = match (tokens.next(), tokens.next(), tokens.next()) {
            (Some(_), Some(from), Some(to)) if !malformed => (from, to),
            _ => (&b"a"[..], &b"b"[..]),
        };
        let mut d = Rng(mix(i ^ self.args.seed.rotate_left(29) ^ 0x00de_c0de));
        let (sport, dport) = (
            1024 + d.below(64_000),
            [53, 80, 443, 22, 123, 8080][d.below(6) as usize],
        );
        let (proto, service) = match dport {
            53 | 123 => ("udp", if dport == 53 { "dns" } else { "-" }),
            _ => ("tcp", ["http", "ssl", "ssh", "-"][d.below(4) as usize]),
        };
        let (ob, rb, op, rp) = (
            d.below(20_000),
            d.below(200_000),
            1 + d.below(50),
            1 + d.below(80),
        );
        let dur_ms = d.below(120_000);
        let mut line = Vec::with_capacity(256);
        let secs = ts_ms / 1000;
        let frac = ts_ms % 1000;
        match format {
            LogFormat::Plain => unreachable!(),
            LogFormat::Zeek => {
                let bad = if malformed { "x" } else { "" };
                let mut uid = String::from("C");
                for _ in 0..17 {
                    uid.push(
                        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                            [d.below(62) as usize] as char,
                    );
                }
                let _ = write!(line, "{bad}{secs}.{frac:03}000\t{uid}\t");
                line.extend_from_slice(from);
                let _ = write!(line, "\t{sport}\t");
                line.extend_from_slice(to);
                let _ = writeln!(
                    line,
                    "\t{dport}\t{proto}\t{service}\t{}.{:06}\t{ob}\t{rb}\t{}\tT\tF\t0\t{}\t{op}\t{}\t{rp}\t{}\t(empty)",
                    dur_ms / 1000,
                    (dur_ms % 1000) * 1000,
                    ["SF", "S0", "REJ", "RSTO"][d.below(4) as usize],
                    ["ShADadfF", "S", "ShADaFf", "Dd"][d.below(4) as usize],
                    ob + 40 * op,
                    rb + 40 * rp,
                );
            }
            LogFormat::ZeekJson => {
                if malformed {
                    line.extend_from_slice(
                        b"{\"ts\":\"not a time\",\"id.orig_h\":\"a\",\"id.resp_h\":\"b\"}\n",
                    );
                } else {
                    line.extend_from_slice(b"{");
                    if self.args.iso_ts {
                        let t =
                            jiff::Timestamp::from_millisecond(ts_ms as i64).expect("time in range");
                        let _ = write!(line, "\"ts\":\"{}\"", t.strftime("%Y-%m-%dT%H:%M:%S.%6fZ"));
                    } else {
                        let _ = write!(line, "\"ts\":{secs}.{frac:03}");
                    }
                    let _ = write!(line, ",\"uid\":\"C{:016x}\",\"id.orig_h\":\"", d.next());
                    line.extend_from_slice(from);
                    let _ = write!(line, "\",\"id.orig_p\":{sport},\"id.resp_h\":\"");
                    line.extend_from_slice(to);
                    let _ = writeln!(
                        line,
                        "\",\"id.resp_p\":{dport},\"proto\":\"{proto}\",\"duration\":{}.{:03},\"orig_bytes\":{ob},\"resp_bytes\":{rb},\"conn_state\":\"SF\",\"local_orig\":true,\"missed_bytes\":0,\"history\":\"ShADadfF\",\"orig_pkts\":{op},\"resp_pkts\":{rp},\"tunnel_parents\":[]}}",
                        dur_ms / 1000,
                        dur_ms % 1000
                    );
                }
            }
            LogFormat::Vpc => {
                let custom = self.args.vpc_header;
                if d.chance(self.args.nodata_fraction) {
                    let status = if d.chance(0.5) { "NODATA" } else { "SKIPDATA" };
                    if custom {
                        let _ = writeln!(
                            line,
                            "2 - - {secs} {} 123456789010 eni-0a1b2c3d4e5f60718 - - - - - - {status}",
                            secs + 60
                        );
                    } else {
                        let _ = writeln!(
                            line,
                            "2 123456789010 eni-0a1b2c3d4e5f60718 - - - - - - - {secs} {} - {status}",
                            secs + 60
                        );
                    }
                }
                let start = if malformed {
                    "x".to_string()
                } else {
                    secs.to_string()
                };
                let end = secs + dur_ms / 1000;
                let action = if d.chance(0.9) { "ACCEPT" } else { "REJECT" };
                let proto = if proto == "udp" { 17 } else { 6 };
                if custom {
                    line.extend_from_slice(b"2 ");
                    line.extend_from_slice(from);
                    line.push(b' ');
                    line.extend_from_slice(to);
                    let _ = writeln!(
                        line,
                        " {start} {end} 123456789010 eni-0a1b2c3d4e5f60718 {sport} {dport} {proto} {op} {ob} {action} OK"
                    );
                } else {
                    line.extend_from_slice(b"2 123456789010 eni-0a1b2c3d4e5f60718 ");
                    line.extend_from_slice(from);
                    line.push(b' ');
                    line.extend_from_slice(to);
                    let _ = writeln!(
                        line,
                        " {sport} {dport} {proto} {op} {ob} {start} {end} {action} OK"
                    );
                }
            }
        }
        self.line = line;
    }

    /// Base time of line `i`, ms: rises steadily from --start to just below
    /// --start + --span and never decreases. In whole seconds when every TS
    /// is printed in seconds, so that truncation never moves a record below
    /// the bound (see [`Self::stamp`]).
    fn base_ms(&self, i: u64) -> u64 {
        let a = self.args;
        let base = a.start * 1000 + (a.span as u128 * 1000 * i as u128 / a.lines as u128) as u64;
        if a.ts_format == TsFormat::S {
            base - base % 1000
        } else {
            base
        }
    }

    /// The printed time of a record on a line of base time `base` and the
    /// form it is printed in.
    ///
    /// Why the log keeps the lateness bound L = --late: every printed time
    /// p_i lies in [base_i - L, base_i] (shown below), and base is
    /// non-decreasing, so every earlier p_j <= base_j <= base_i, hence
    /// p_i >= base_i - L >= (largest earlier p_j) - L.
    ///
    /// The late amount d is in [0, L], so `lo = base - d` is in the range.
    /// Millisecond and 3-digit fraction forms print `lo` exactly. The seconds
    /// form prints `lo` truncated, which stays <= base; it is used only if it
    /// also stays >= base - L, else the line falls back to milliseconds. With
    /// --ts-format s the fallback never happens: base and L are whole seconds,
    /// so trunc(lo) >= trunc(base - L) = base - L.
    fn stamp(&mut self, base: u64) -> (u64, Unit) {
        let late_ms = self.args.late * 1000;
        let lo = if self.rng.chance(self.args.late_fraction) {
            base - self.rng.below(late_ms + 1)
        } else {
            base
        };
        let unit = match self.args.ts_format {
            TsFormat::S => Unit::Seconds,
            TsFormat::Ms => Unit::Millis,
            TsFormat::Frac => Unit::Fraction,
            TsFormat::Mix => {
                [Unit::Seconds, Unit::Millis, Unit::Fraction][self.rng.below(3) as usize]
            }
        };
        let whole = lo - lo % 1000;
        match unit {
            Unit::Seconds if whole >= base - late_ms => (whole, Unit::Seconds),
            Unit::Seconds => (lo, Unit::Millis),
            _ => (lo, unit),
        }
    }

    /// The fan-in source index of line `i`, if it is a fan-in line: the
    /// sources are spread evenly over the lines, each used exactly once.
    fn fan_in_source(&self, i: u64) -> Option<u64> {
        let n = self.args.fan_in_sources? as u128;
        let lines = self.args.lines as u128;
        let (j, next) = (i as u128 * n / lines, (i as u128 + 1) * n / lines);
        (next > j).then_some(j as u64)
    }

    fn write_line(&mut self, i: u64) {
        let (ts, unit) = self.stamp(self.base_ms(i));
        let (from, to) = match self.fan_in_source(i) {
            Some(j) => {
                self.source.clear();
                write_host_name(self.args.hosts + j, self.args.ip_fraction, &mut self.source);
                (Host::FanInSource, Host::FanIn)
            }
            None => (self.draw_host(), self.draw_host()),
        };
        self.begin();
        let fan_in_line = matches!(to, Host::FanIn);
        let malformed = !fan_in_line && self.rng.chance(self.args.malformed);
        if malformed {
            let form = MALFORMED[self.rng.below(MALFORMED.len() as u64) as usize];
            self.write_malformed(form, ts, unit, [from, to, to]);
        } else {
            push_ts(&mut self.line, ts, unit);
            for host in [from, to] {
                self.separator();
                self.push_host(host);
            }
            self.to_counts[match to {
                Host::Ranked(rank) => rank,
                _ => self.args.hosts as usize,
            }] += 1;
        }
        self.end(i + 1 == self.args.lines);
        self.reformat(i, ts, malformed);
    }

    fn draw_host(&mut self) -> Host {
        Host::Ranked(self.popularity.sample(&mut self.rng))
    }

    /// Malformed lines are built from the line's own time and hosts, so they
    /// look like damaged records rather than noise.
    fn write_malformed(&mut self, form: Malformed, ts: u64, unit: Unit, hosts: [Host; 3]) {
        match form {
            Malformed::Blank => return,
            Malformed::WhitespaceOnly => return self.line.extend_from_slice(b" \t "),
            Malformed::Comment => return self.line.extend_from_slice(b"# comment line"),
            Malformed::EmptyFraction => self.line.extend_from_slice(b"5."),
            Malformed::Negative => self.line.extend_from_slice(b"-1"),
            Malformed::LetterInTs => {
                self.line.push(b'x');
                push_ts(&mut self.line, ts, unit);
            }
            _ => push_ts(&mut self.line, ts, unit),
        }
        for &host in &hosts[..form.host_fields()] {
            self.separator();
            self.push_host(host);
        }
    }

    fn push_host(&mut self, host: Host) {
        let upper = self.rng.chance(self.args.upper_fraction);
        let name = match host {
            Host::Ranked(rank) => self.hosts.name(rank),
            Host::FanIn => self.fan_in_host,
            Host::FanInSource => &self.source,
        };
        push_token(&mut self.line, name, upper);
    }

    fn mixed(&self) -> bool {
        self.args.sep == Separators::Mixed
    }

    fn begin(&mut self) {
        self.line.clear();
        if self.mixed() && self.rng.chance(0.05) {
            self.whitespace_run();
        }
    }

    fn separator(&mut self) {
        if self.mixed() {
            self.whitespace_run();
        } else {
            self.line.push(b' ');
        }
    }

    fn end(&mut self, last: bool) {
        if self.mixed() {
            if self.rng.chance(0.05) {
                self.whitespace_run();
            }
            if self.rng.chance(0.02) {
                self.line.push(b'\r');
            }
        }
        if !(last && self.args.no_final_newline) {
            self.line.push(b'\n');
        }
    }

    /// One to three spaces or tabs.
    fn whitespace_run(&mut self) {
        for _ in 0..=self.rng.below(3) {
            let b = if self.rng.chance(0.3) { b'\t' } else { b' ' };
            self.line.push(b);
        }
    }

    /// Top 20 TO hosts, then the 5 nearest a 0.5% share, as tab-separated
    /// `kind rank host records share%` lines; hosts in lower case.
    fn report(&self, err: &mut impl Write) -> io::Result<()> {
        let lines = self.args.lines.max(1) as f64;
        let share = |slot: usize| self.to_counts[slot] as f64 / lines * 100.0;
        let name = |slot: usize| match slot {
            s if s < self.args.hosts as usize => self.hosts.name(s),
            _ => self.fan_in_host,
        };
        let mut by_count: Vec<usize> = (0..self.to_counts.len())
            .filter(|&s| self.to_counts[s] > 0)
            .collect();
        by_count.sort_by_key(|&s| (std::cmp::Reverse(self.to_counts[s]), s));
        let mut near_rare = by_count.clone();
        near_rare.sort_by(|&a, &b| (share(a) - 0.5).abs().total_cmp(&(share(b) - 0.5).abs()));
        writeln!(
            err,
            "# kind\trank\thost\tTO records\tshare of {} lines",
            self.args.lines
        )?;
        let rows = [
            ("top", &by_count[..by_count.len().min(20)]),
            ("rare", &near_rare[..near_rare.len().min(5)]),
        ];
        for (kind, slots) in rows {
            for (k, &s) in slots.iter().enumerate() {
                let host = String::from_utf8_lossy(name(s)).to_ascii_lowercase();
                writeln!(
                    err,
                    "{kind}\t{}\t{host}\t{}\t{:.3}%",
                    k + 1,
                    self.to_counts[s],
                    share(s)
                )?;
            }
        }
        Ok(())
    }
}

/// A gzip file being written (default level, no name or time in its
/// header, so the same lines always make the same bytes).
type GzFile = flate2::write::GzEncoder<BufWriter<File>>;

/// Creates the gzip file `path` (and its folder).
fn create_gz(path: &std::path::Path) -> io::Result<GzFile> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let file = BufWriter::with_capacity(1 << 20, File::create(path)?);
    Ok(flate2::write::GzEncoder::new(
        file,
        flate2::Compression::default(),
    ))
}

/// Where Zeek puts the log of the `every` seconds from `start`:
/// `DIR/YYYY-MM-DD/conn.HH:MM:SS-HH:MM:SS.log.gz`.
fn archive_path(dir: &std::path::Path, start: u64, every: u64) -> PathBuf {
    let at = |secs: u64| jiff::Timestamp::from_second(secs as i64).expect("time in range");
    let day = at(start).strftime("%Y-%m-%d").to_string();
    let from = at(start).strftime("%H:%M:%S");
    let to = at(start + every).strftime("%H:%M:%S");
    dir.join(day).join(format!("conn.{from}-{to}.log.gz"))
}

/// Appends a host token, with its first letter capitalised if `upper`.
fn push_token(out: &mut Vec<u8>, name: &[u8], upper: bool) {
    match name.split_first() {
        Some((&first, rest)) if upper => {
            out.push(first.to_ascii_uppercase());
            out.extend_from_slice(rest);
        }
        _ => out.extend_from_slice(name),
    }
}

fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        // clap's message may continue on indented lines (the missing
        // arguments); its first paragraph, joined, is the one-line error.
        Err(e) => {
            let text = e.to_string();
            let first: Vec<&str> = text
                .lines()
                .take_while(|l| !l.is_empty())
                .map(str::trim)
                .collect();
            return usage_error(&first.join(" "));
        }
    };
    if let Err(message) = args.validate() {
        return usage_error(&message);
    }
    let mut generator = Generator::new(&args);
    let (target, written) = match (&args.out, &args.archive) {
        (_, Some(dir)) => (dir.display().to_string(), generator.run_archive(dir)),
        (Some(path), None) => (
            path.display().to_string(),
            File::create(path)
                .and_then(|f| generator.run(&mut BufWriter::with_capacity(1 << 20, f))),
        ),
        (None, None) => (
            "stdout".to_string(),
            generator.run(&mut BufWriter::with_capacity(1 << 20, io::stdout().lock())),
        ),
    };
    match written {
        // A closed stdout (`genlog | head`) is a normal way to stop.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("genlog: {target}: {e}");
            ExitCode::from(1)
        }
        Ok(()) if args.report => match generator.report(&mut io::stderr().lock()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(_) => ExitCode::from(1),
        },
        Ok(()) => ExitCode::SUCCESS,
    }
}

/// Bad options: one line on stderr, exit status 2.
fn usage_error(line: &str) -> ExitCode {
    eprintln!("genlog: {}", line.trim_start_matches("error: "));
    ExitCode::from(2)
}
