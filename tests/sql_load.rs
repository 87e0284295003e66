//! `--format csv` and `--format jsonl` are for loading into a database:
//! these tests load the real binaries' output into an SQLite database file
//! and check that SQL gives back the TSV results, and that the guide's (docs/guide.md)
//! merge SQL over `--emit-counts` rows of a log split across three
//! "machines" gives exactly the single-machine answer.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use connspy::query::COLUMNS as CONNSPY_COLUMNS;
use connspy::stream::rows::COLUMNS_WITH_PEER;
use rusqlite::Connection;

mod common;

const STREAM: &str = env!("CARGO_BIN_EXE_connspy-stream");
const CONNSPY: &str = env!("CARGO_BIN_EXE_connspy");

/// The bundled sample log (made by examples/genlog.rs): a day of 10,000
/// records, 10% late by up to 300 s, mixed case.
fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data/input-file-10000.txt")
}

/// Its most popular host, on both sides of many records.
const HOST: &str = "nodrouk";

/// Runs `bin` and returns its stdout; it must succeed quietly.
fn run(bin: &str, args: &[&str]) -> Vec<u8> {
    let o = Command::new(bin).args(args).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success() && err.is_empty(), "{args:?}: {err}");
    o.stdout
}

/// `connspy-stream` over `log`, both lists of [`HOST`].
fn stream(extra: &[&str], log: &Path) -> Vec<u8> {
    let mut args = vec!["--to", HOST, "--from", HOST];
    args.extend_from_slice(extra);
    args.push(log.to_str().unwrap());
    run(STREAM, &args)
}

/// The block of `lang` after `marker` in the guide (docs/guide.md).
fn guide_block(marker: &str, lang: &str) -> String {
    let guide =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/guide.md"))
            .unwrap();
    let start = guide.find(marker).expect("the marker");
    let block = &guide[start..];
    let open = format!("```{lang}\n");
    let code = &block[block.find(&open).unwrap() + open.len()..];
    code[..code.find("```").unwrap()].to_string()
}

/// The guide's `CREATE TABLE` of `table` (`hits` or `rows`), for a table
/// called `name`.
fn guide_table(table: &str, name: &str) -> String {
    let schema = guide_block("<!-- schema-sql -->", "sql");
    let start = schema
        .find(&format!("CREATE TABLE {table} ("))
        .expect("the table");
    let statement = &schema[start..];
    let statement = &statement[..=statement.find(';').unwrap()];
    statement.replacen(&format!("TABLE {table} "), &format!("TABLE {name} "), 1)
}

/// Creates the table `name` with the stream's columns, as the guide does
/// (`peer` empty in rows of runs that print no pairs).
fn stream_table(db: &Connection, name: &str) {
    db.execute_batch(&guide_table("rows", name)).unwrap();
}

/// Loads CSV `text` (written to a file in `dir`) into `table` through
/// SQLite's CSV virtual table, with `select` converting the columns.
fn load_csv(db: &Connection, dir: &Path, table: &str, text: &[u8], select: &str) {
    let file = dir.join(format!("{table}.csv"));
    std::fs::write(&file, text).unwrap();
    rusqlite::vtab::csvtab::load_module(db).unwrap();
    db.execute_batch(&format!(
        "CREATE VIRTUAL TABLE temp.csv_in USING csv(filename='{}', header=yes);
         INSERT INTO {table} SELECT {select} FROM temp.csv_in;
         DROP TABLE temp.csv_in;",
        file.display()
    ))
    .unwrap();
}

/// The SQL that takes column `key` from a JSON Lines row: a host column
/// from its `_bytes` key when there is one (a host that is not UTF-8),
/// as text holding those bytes, like a CSV load gives.
fn json_column(key: &str) -> String {
    if key == "host" || key == "target" || key == "peer" {
        format!(
            "coalesce(CAST(unhex(json_extract(line, '$.{key}_bytes')) AS TEXT), \
             json_extract(line, '$.{key}'))"
        )
    } else {
        format!("json_extract(line, '$.{key}')")
    }
}

/// Loads JSON Lines `text` into `table`: each line as a JSON text, then its
/// keys through SQLite's JSON functions (a key left out is NULL).
fn load_jsonl(db: &Connection, table: &str, text: &[u8], keys: &[&str]) {
    db.execute_batch("CREATE TEMP TABLE json_in (line TEXT);")
        .unwrap();
    // JSON Lines is UTF-8 whatever the hosts are.
    for line in std::str::from_utf8(text).unwrap().lines() {
        db.execute("INSERT INTO temp.json_in VALUES (?1)", [line])
            .unwrap();
    }
    let invalid: i64 = db
        .query_row(
            "SELECT count(*) FROM temp.json_in WHERE NOT json_valid(line)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(invalid, 0);
    let fields: Vec<String> = keys.iter().map(|k| json_column(k)).collect();
    db.execute_batch(&format!(
        "INSERT INTO {table} SELECT {} FROM temp.json_in; DROP TABLE temp.json_in;",
        fields.join(", ")
    ))
    .unwrap();
}

const STREAM_CSV: &str = "CAST(window_start AS INTEGER), window_start_rfc3339, kind, \
     CAST(seq AS INTEGER), host, CAST(NULLIF(count, '') AS INTEGER), NULL";

/// [`STREAM_CSV`] for the CSV of a run that prints `pair` rows.
const STREAM_CSV_PEER: &str = "CAST(window_start AS INTEGER), window_start_rfc3339, kind, \
     CAST(seq AS INTEGER), host, CAST(NULLIF(count, '') AS INTEGER), NULLIF(peer, '')";

/// Loads the stream's `text` in `format` into a new `table`.
fn load_stream(db: &Connection, dir: &Path, table: &str, format: &str, text: &[u8]) {
    stream_table(db, table);
    match format {
        "csv" => load_csv(db, dir, table, text, STREAM_CSV),
        _ => load_jsonl(db, table, text, COLUMNS_WITH_PEER),
    }
}

/// The TSV lines, rebuilt from a table in the printed order (`top` rows as
/// the single `MOST` line when `most`, else as `TOP` lines with counts).
fn tsv_from(db: &Connection, table: &str, most: bool) -> String {
    let sql = format!(
        "SELECT window_start || '.0' || char(9) || \
           CASE kind WHEN 'top' THEN (CASE WHEN ?1 THEN 'MOST' ELSE 'TOP' END) \
                     ELSE upper(kind) END || char(9) || host || \
           CASE WHEN count IS NULL OR (kind = 'top' AND ?1) THEN '' \
                ELSE char(9) || count END || char(10) \
         FROM {table} \
         ORDER BY window_start, \
           CASE kind WHEN 'to' THEN 0 WHEN 'from' THEN 1 WHEN 'top' THEN 2 ELSE 3 END, seq"
    );
    let mut stmt = db.prepare(&sql).unwrap();
    stmt.query_map([most], |r| r.get::<_, String>(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn stream_rows_load_into_sqlite_and_give_back_the_tsv() {
    let dir = tempfile::tempdir().unwrap();
    let db = Connection::open(dir.path().join("rows.sqlite")).unwrap();
    let options: [&[&str]; 2] = [&[], &["--window", "15m", "--top", "3", "--emit-counts"]];
    for (i, extra) in options.into_iter().enumerate() {
        let tsv = String::from_utf8(stream(extra, &sample())).unwrap();
        assert!(tsv.contains("\tTO\t") && tsv.contains("\tFROM\t"));
        for format in ["csv", "jsonl"] {
            let table = format!("{format}{i}");
            let mut args = extra.to_vec();
            args.extend(["--format", format]);
            load_stream(&db, dir.path(), &table, format, &stream(&args, &sample()));
            assert_eq!(tsv_from(&db, &table, extra.is_empty()), tsv, "{table}");
            // Both starts name the same instant.
            let mismatched: i64 = db
                .query_row(
                    &format!(
                        "SELECT count(*) FROM {table} WHERE window_start_rfc3339 \
                         != strftime('%Y-%m-%dT%H:%M:%SZ', window_start, 'unixepoch')"
                    ),
                    [],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(mismatched, 0);
        }
    }
}

#[test]
fn connspy_rows_load_into_sqlite_and_give_back_the_tsv() {
    let dir = tempfile::tempdir().unwrap();
    let db = Connection::open(dir.path().join("hits.sqlite")).unwrap();
    let log = sample();
    for side in ["--to", "--from"] {
        let run_in = |format| {
            run(
                CONNSPY,
                &[
                    side,
                    "NODROUK",
                    "--time_init",
                    "2019-08-12T22:00:00Z",
                    "--time_end",
                    "1565690400.5",
                    "--format",
                    format,
                    log.to_str().unwrap(),
                ],
            )
        };
        let tsv = String::from_utf8(run_in("tsv")).unwrap();
        assert!(tsv.lines().count() > 10, "{tsv}");
        let kind = &side[2..];
        for format in ["csv", "jsonl"] {
            let table = format!("hits_{kind}_{format}");
            db.execute_batch(&guide_table("hits", &table)).unwrap();
            let out = run_in(format);
            match format {
                "csv" => load_csv(&db, dir.path(), &table, &out, "*"),
                _ => load_jsonl(&db, &table, &out, CONNSPY_COLUMNS),
            }
            let mut stmt = db
                .prepare(&format!(
                    "SELECT host || char(10) FROM {table} \
                     WHERE time_init_ns = 1565647200000000000 \
                       AND time_end_ns = 1565690400500000000 \
                       AND time_init_rfc3339 = '2019-08-12T22:00:00Z' \
                       AND time_end_rfc3339 = '2019-08-13T10:00:00.5Z' \
                       AND kind = ?1 AND target = 'nodrouk' \
                     ORDER BY seq"
                ))
                .unwrap();
            let back: String = stmt
                .query_map([kind], |r| r.get::<_, String>(0))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            assert_eq!(back, tsv, "{table}");
        }
    }
}

/// `connspy --to zyla` over a log where `hosts` connect to zyla, between
/// `times`, in `format`.
fn hits(dir: &Path, hosts: &[&[u8]], times: [&str; 2], format: &str) -> Vec<u8> {
    let mut log = Vec::new();
    for (t, host) in hosts.iter().enumerate() {
        log.extend_from_slice(format!("{} ", 1_565_647_201 + t).as_bytes());
        log.extend_from_slice(host);
        log.extend_from_slice(b" zyla\n");
    }
    let path = dir.join("hits.log");
    std::fs::write(&path, &log).unwrap();
    let [init, end] = times;
    let args = ["--to", "zyla", "--time-init", init, "--time-end", end];
    run(
        CONNSPY,
        &[&args[..], &["--format", format, path.to_str().unwrap()]].concat(),
    )
}

/// A range to the nanosecond, given in both forms a command line takes.
const NANO_RANGE: [&str; 2] = ["1565647200.123456789", "2019-08-12T23:00:00.000000001Z"];

#[test]
fn query_times_load_exactly_as_integers_to_the_nanosecond() {
    // Were `time_init` and `time_end` in seconds: a fraction loaded as a
    // floating-point number cut to about 7 digits, and a whole second as
    // an integer.
    let dir = tempfile::tempdir().unwrap();
    let db = Connection::open(dir.path().join("times.sqlite")).unwrap();
    for format in ["csv", "jsonl"] {
        let table = format!("nanos_{format}");
        db.execute_batch(&guide_table("hits", &table)).unwrap();
        let out = hits(dir.path(), &[b"a", b"b"], NANO_RANGE, format);
        match format {
            "csv" => load_csv(&db, dir.path(), &table, &out, "*"),
            _ => load_jsonl(&db, &table, &out, CONNSPY_COLUMNS),
        }
        let row: (i64, String, i64, String, String) = db
            .query_row(
                &format!(
                    "SELECT time_init_ns, typeof(time_init_ns) || typeof(time_end_ns), \
                     time_end_ns, time_init_rfc3339, time_end_rfc3339 FROM {table} \
                     WHERE seq = 2"
                ),
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .unwrap();
        assert_eq!(
            row,
            (
                1_565_647_200_123_456_789,
                "integerinteger".to_string(),
                1_565_650_800_000_000_001,
                "2019-08-12T22:00:00.123456789Z".to_string(),
                "2019-08-12T23:00:00.000000001Z".to_string(),
            ),
            "{format}"
        );
    }
}

#[test]
fn a_time_past_64_bit_nanoseconds_is_left_out_and_said() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.log"), "1565647200 a zyla\n").unwrap();
    let log = dir.path().join("a.log");
    for (format, no_end) in [
        ("csv", ",,2286-11-20T17:46:39Z,"),
        ("jsonl", "\"time_end_rfc3339\":\"2286-11-20T17:46:39Z\","),
    ] {
        let o = Command::new(CONNSPY)
            .args([
                "--to",
                "zyla",
                "--time-init",
                "1565647200",
                "--time-end",
                "9999999999",
            ])
            .args(["--format", format])
            .arg(&log)
            .output()
            .unwrap();
        let out = String::from_utf8(o.stdout).unwrap();
        assert!(out.contains(no_end), "{out}");
        assert!(!out.contains("time_end_ns\":"), "{out}");
        assert_eq!(
            String::from_utf8_lossy(&o.stderr),
            "connspy: time_end_ns is left empty: --time-end (9999999999) is after \
             2262-04-11T23:47:16.854775807Z, the latest time 64 bits of nanoseconds hold\n"
        );
    }
}

/// Whether `program` can be run here.
fn installed(program: &str, version_arg: &str) -> bool {
    Command::new(program)
        .arg(version_arg)
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn the_sqlite3_shell_imports_csv_rows_exactly() {
    // The guide's form for SQLite before 3.41, which has no unhex.
    let command = ".import --csv --skip 1 hits.csv hits";
    assert!(guide_block("SQLite, any version", "sh").contains(command));
    if !installed("sqlite3", "--version") {
        eprintln!("skipped: no sqlite3 shell");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let hosts: [&[u8]; 4] = [b"caf\xe9", b"\xff,\"\xfe", "ünï".as_bytes(), b"plain"];
    let csv = dir.path().join("hits.csv");
    std::fs::write(&csv, hits(dir.path(), &hosts, NANO_RANGE, "csv")).unwrap();
    let db = dir.path().join("hits.sqlite");
    let schema = guide_table("hits", "hits");
    let import = command.replace("hits.csv", csv.to_str().unwrap());
    let o = Command::new("sqlite3")
        .arg(&db)
        .args([&schema, &import])
        .output()
        .unwrap();
    assert!(
        o.status.success() && o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let db = Connection::open(&db).unwrap();
    let mut stmt = db
        .prepare(
            "SELECT CAST(host AS BLOB), time_init_ns, typeof(time_init_ns) FROM hits ORDER BY seq",
        )
        .unwrap();
    let rows: Vec<(Vec<u8>, i64, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let want: Vec<(Vec<u8>, i64, String)> = hosts
        .iter()
        .map(|h| {
            (
                h.to_ascii_lowercase(),
                1_565_647_200_123_456_789,
                "integer".to_string(),
            )
        })
        .collect();
    assert_eq!(rows, want);
}

#[test]
fn duckdb_reads_every_run_with_the_same_types() {
    let python = "python3";
    if !Command::new(python)
        .args(["-c", "import duckdb"])
        .output()
        .is_ok_and(|o| o.status.success())
    {
        eprintln!("skipped: no duckdb Python module (pip install duckdb)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // Runs whose times have no fraction, and runs whose times do: each
    // written once as CSV and once as JSON Lines.
    let ranges = [["1565647200", "1565650800"], NANO_RANGE];
    for (i, range) in ranges.iter().enumerate() {
        for format in ["csv", "jsonl"] {
            let out = hits(dir.path(), &[b"a", b"b"], *range, format);
            std::fs::write(dir.path().join(format!("hits-{i}.{format}")), out).unwrap();
            let stream_out = stream(&["--format", format], &sample());
            std::fs::write(dir.path().join(format!("rows-{i}.{format}")), stream_out).unwrap();
        }
    }
    let script = r#"
import duckdb, sys
d = sys.argv[1]
types = lambda rel: dict(zip(rel.columns, map(str, rel.types)))
for table in ["hits", "rows"]:
    for i in (0, 1):
        for reader in ("read_csv", "read_json"):
            ext = "csv" if reader == "read_csv" else "jsonl"
            print(table, reader, i, types(duckdb.sql(f"SELECT * FROM {reader}('{d}/{table}-{i}.{ext}')")))
print("nanos", duckdb.sql(f"SELECT max(time_init_ns) FROM read_csv('{d}/hits-*.csv')").fetchall()[0][0])
con = duckdb.connect()
con.execute(sys.argv[2])
con.execute(f"COPY hits FROM '{d}/hits-1.csv' (HEADER)")
print("copied", con.execute("SELECT time_init_ns, time_end_rfc3339 FROM hits LIMIT 1").fetchall()[0])
exact = "{'first_seen': 'DECIMAL(30,9)', 'last_seen': 'DECIMAL(30,9)'}"
seen = duckdb.sql(f"SELECT first_seen FROM read_csv('{d}/summary-*.csv', types = {exact})")
print("summary", types(seen)["first_seen"], sorted(str(r[0]) for r in seen.fetchall()))
"#;
    // --summary rows of a log of milliseconds and of a Zeek log of
    // microseconds, read together with the types the guide gives.
    let zeek = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data/conn.log");
    for (i, (target, log)) in [("zeekraik", sample()), ("10.6.177.146", zeek)]
        .iter()
        .enumerate()
    {
        let out = run(
            CONNSPY,
            &[
                "--to",
                target,
                "--summary",
                "--time-init",
                "2019-08-12T22:00:00Z",
                "--time-end",
                "2019-08-12T22:20:00Z",
                "--max-log-late-seconds",
                "3600",
                "--format",
                "csv",
                log.to_str().unwrap(),
            ],
        );
        std::fs::write(dir.path().join(format!("summary-{i}.csv")), out).unwrap();
    }
    let schema = guide_block("<!-- schema-sql -->", "sql");
    let o = Command::new(python)
        .args(["-c", script, dir.path().to_str().unwrap(), &schema])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let detected: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("hits ") || l.starts_with("rows "))
        .collect();
    assert_eq!(detected.len(), 8, "{out}");
    for line in detected {
        for column in [
            "time_init_ns",
            "time_end_ns",
            "seq",
            "window_start",
            "count",
        ] {
            let key = format!("'{column}': ");
            if let Some(at) = line.find(&key) {
                assert!(
                    line[at + key.len()..].starts_with("'BIGINT'"),
                    "{column}: {line}"
                );
            }
        }
    }
    assert!(out.contains("nanos 1565647200123456789\n"), "{out}");
    assert!(
        out.contains("copied (1565647200123456789, '2019-08-12T23:00:00.000000001Z')"),
        "{out}"
    );
    // Both logs' times, milliseconds and microseconds, exactly.
    let summary = out.lines().find(|l| l.starts_with("summary ")).unwrap();
    assert!(summary.starts_with("summary DECIMAL(30,9) ["), "{out}");
    for time in ["1565647243.200000000", "1565647499.236000000"] {
        assert!(summary.contains(&format!("'{time}'")), "{time}: {summary}");
    }
}

/// The merge SQL of the guide, after its marker.
fn guide_merge_sql() -> String {
    guide_block("<!-- merge-sql -->", "sql")
}

/// The hosts of a table's `host` column, as bytes, in `seq` order.
fn hosts_of(db: &Connection, table: &str) -> Vec<Vec<u8>> {
    let mut stmt = db
        .prepare(&format!(
            "SELECT CAST(host AS BLOB) FROM {table} WHERE kind = 'to' ORDER BY seq"
        ))
        .unwrap();
    stmt.query_map([], |r| r.get::<_, Vec<u8>>(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn utf8_and_other_hosts_load_exactly_from_csv_and_json_lines() {
    let utf8: [&[u8]; 4] = [
        "café".as_bytes(),
        "ünïcödé.example".as_bytes(),
        b"a,\"b\"",
        b"plain",
    ];
    let other: [&[u8]; 2] = [b"caf\xe9", b"\xff\xfe"];
    let dir = tempfile::tempdir().unwrap();
    let db = Connection::open(dir.path().join("hosts.sqlite")).unwrap();
    // rusqlite's CSV table reads UTF-8 only (the CSV output itself keeps
    // any bytes: see the round-trip test in src/output.rs), so the hosts
    // that are not UTF-8 go through JSON Lines only.
    let cases: [(&str, Vec<&[u8]>); 3] = [
        ("csv", utf8.to_vec()),
        ("jsonl", utf8.to_vec()),
        ("jsonl", utf8.iter().chain(&other).copied().collect()),
    ];
    for (i, (format, hosts)) in cases.iter().enumerate() {
        let mut log = Vec::new();
        for (t, host) in hosts.iter().enumerate() {
            log.extend_from_slice(format!("{} ", 1_565_647_200 + t).as_bytes());
            log.extend_from_slice(host);
            log.extend_from_slice(b" zyla\n");
        }
        let path = dir.path().join(format!("hosts{i}.log"));
        std::fs::write(&path, &log).unwrap();
        let out = run(
            STREAM,
            &[
                "--to",
                "zyla",
                "--from",
                "zyla",
                "--format",
                format,
                path.to_str().unwrap(),
            ],
        );
        if *format == "jsonl" {
            let text = std::str::from_utf8(&out).unwrap();
            // Readable: UTF-8 hosts as they are, no escapes, no extra key.
            assert!(text.contains("\"host\":\"café\"}"), "{text}");
            let extra = if hosts.len() > utf8.len() { 2 } else { 0 };
            assert_eq!(text.matches("host_bytes").count(), extra, "{text}");
            if extra > 0 {
                assert!(
                    text.contains("\"host\":\"caf\u{fffd}\",\"host_bytes\":\"636166e9\"}"),
                    "{text}"
                );
            }
        }
        let table = format!("hosts_{i}");
        load_stream(&db, dir.path(), &table, format, &out);
        let back = hosts_of(&db, &table);
        let want: Vec<Vec<u8>> = hosts.iter().map(|h| h.to_vec()).collect();
        assert_eq!(back, want, "{format}");
    }
}

/// The rows of a query of three columns, as a set.
fn set<T: rusqlite::types::FromSql + Ord, U: rusqlite::types::FromSql + Ord>(
    db: &Connection,
    sql: &str,
) -> BTreeSet<(i64, T, U)> {
    let mut stmt = db.prepare(sql).unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Two sets are equal; on failure, shows only where they differ.
fn assert_same<T: Ord + std::fmt::Debug>(merged: &BTreeSet<T>, single: &BTreeSet<T>) {
    let extra: Vec<&T> = merged.difference(single).take(10).collect();
    let missing: Vec<&T> = single.difference(merged).take(10).collect();
    assert!(
        extra.is_empty() && missing.is_empty(),
        "merged has {extra:?}, lacks {missing:?}"
    );
}

#[test]
fn emit_counts_of_three_shards_merge_in_sql_to_the_single_machine_answer() {
    let dir = tempfile::tempdir().unwrap();
    // Split the log by source host, as if each machine logged its own.
    let text = std::fs::read_to_string(sample()).unwrap();
    let mut shards = vec![String::new(); 3];
    for line in text.lines() {
        let from = line.split_whitespace().nth(1).unwrap().to_ascii_lowercase();
        let shard = from.bytes().map(usize::from).sum::<usize>() % 3;
        shards[shard] += line;
        shards[shard] += "\n";
    }
    assert!(shards.iter().all(|s| s.lines().count() > 2000));

    let db = Connection::open(dir.path().join("merge.sqlite")).unwrap();
    stream_table(&db, "rows");
    for (i, shard) in shards.iter().enumerate() {
        let path = dir.path().join(format!("shard{i}.log"));
        std::fs::write(&path, shard).unwrap();
        // Machines may print either format: both load into one table.
        let format = if i == 2 { "jsonl" } else { "csv" };
        let out = stream(&["--emit-counts", "--format", format], &path);
        match format {
            "csv" => load_csv(&db, dir.path(), "rows", &out, STREAM_CSV),
            _ => load_jsonl(&db, "rows", &out, COLUMNS_WITH_PEER),
        }
    }
    db.execute_batch(&guide_merge_sql()).unwrap();

    // One machine over the whole log.
    let whole = stream(&["--emit-counts", "--format", "csv"], &sample());
    load_stream(&db, dir.path(), "single", "csv", &whole);

    let lists = "WHERE kind IN ('to', 'from')";
    let single_lists: BTreeSet<(i64, String, String)> = set(
        &db,
        &format!("SELECT window_start, kind, host FROM single {lists}"),
    );
    assert!(single_lists.len() > 100);
    assert_same(
        &set(&db, "SELECT window_start, kind, host FROM merged_lists"),
        &single_lists,
    );
    let single_counts: BTreeSet<(i64, String, i64)> = set(
        &db,
        "SELECT window_start, host, count FROM single WHERE kind = 'count'",
    );
    assert_same(
        &set(&db, "SELECT window_start, host, count FROM merged_counts"),
        &single_counts,
    );
    // MOST: the merged rank-1 hosts of each window hold the single
    // machine's MOST host with its count; where one host leads alone it
    // is exactly the MOST host.
    let mut leaders: BTreeMap<i64, Vec<(String, i64)>> = BTreeMap::new();
    for (w, host, count) in set::<String, i64>(
        &db,
        "SELECT window_start, host, count FROM merged_top WHERE rank = 1",
    ) {
        leaders.entry(w).or_default().push((host, count));
    }
    let most = set::<String, i64>(
        &db,
        "SELECT window_start, host, count FROM single WHERE kind = 'top'",
    );
    assert_eq!(most.len(), leaders.len());
    let mut alone = 0;
    for (w, host, count) in most {
        let lead = &leaders[&w];
        assert!(
            lead.contains(&(host.clone(), count)),
            "{w}: {host} {lead:?}"
        );
        alone += usize::from(lead.len() == 1);
    }
    assert!(alone >= 20, "only {alone} windows with a single leader");
}

/// `log` split in three by source host, as if each machine logged its
/// own connections; `#` header lines go to every shard.
fn shards(log: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(log).unwrap();
    let mut shards = vec![String::new(); 3];
    for line in text.lines() {
        let picked: Vec<usize> = if line.starts_with('#') {
            vec![0, 1, 2]
        } else {
            let fields: Vec<&str> = line.split_whitespace().collect();
            // Plain: TS FROM TO; Zeek: ts uid id.orig_h ...
            let from = if fields.len() > 3 {
                fields[2]
            } else {
                fields[1]
            };
            vec![
                from.to_ascii_lowercase()
                    .bytes()
                    .map(usize::from)
                    .sum::<usize>()
                    % 3,
            ]
        };
        for i in picked {
            shards[i] += line;
            shards[i] += "\n";
        }
    }
    shards
}

/// `(window, host, value)` of a query over the database.
fn values(db: &Connection, sql: &str) -> BTreeSet<(i64, String, i64)> {
    set(db, sql)
}

#[test]
fn measures_of_three_shards_merge_in_sql_to_the_single_machine_answer() {
    let dir = tempfile::tempdir().unwrap();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data");
    let zeek = data.join("conn.log");
    let late = ["--max-log-late-seconds", "3600"];
    for (log, by) in [
        (&zeek, "bytes"),
        (&zeek, "packets"),
        (&zeek, "peers"),
        (&sample(), "out"),
    ] {
        let db = Connection::open(dir.path().join(format!("{by}.sqlite"))).unwrap();
        stream_table(&db, "rows");
        let csv = if by == "bytes" || by == "packets" {
            STREAM_CSV
        } else {
            STREAM_CSV_PEER
        };
        for (i, shard) in shards(log).iter().enumerate() {
            let path = dir.path().join(format!("{by}{i}.log"));
            std::fs::write(&path, shard).unwrap();
            let format = if i == 2 { "jsonl" } else { "csv" };
            let out = stream(
                &[
                    &late[..],
                    &["--emit-counts", "--by", by, "--format", format],
                ]
                .concat(),
                &path,
            );
            match format {
                "csv" => load_csv(&db, dir.path(), "rows", &out, csv),
                _ => load_jsonl(&db, "rows", &out, COLUMNS_WITH_PEER),
            }
        }
        db.execute_batch(&guide_merge_sql()).unwrap();
        // One machine over the whole log: every host's value, as TOP rows.
        let single = |by: &str| {
            let out = stream(
                &[
                    &late[..],
                    &["--by", by, "--top", "1000000", "--format", "csv"],
                ]
                .concat(),
                log,
            );
            let table = format!("single_{by}");
            load_stream(&db, dir.path(), &table, "csv", &out);
            values(
                &db,
                &format!("SELECT window_start, host, count FROM {table} WHERE kind = 'top'"),
            )
        };
        let merged = |sql: &str| values(&db, sql);
        match by {
            "bytes" | "packets" => {
                let want = single(by);
                assert!(want.len() > 100, "{by}: {}", want.len());
                assert_same(
                    &merged(&format!(
                        "SELECT window_start, host, total FROM merged_sums WHERE kind = '{by}'"
                    )),
                    &want,
                );
            }
            _ => {
                let want = single("peers");
                assert!(want.len() > 50, "{by}: {}", want.len());
                assert_same(
                    &merged("SELECT window_start, host, peers FROM merged_peers"),
                    &want,
                );
                // A host with no out (in) pair has no row in the fan view.
                let nonzero = |set: BTreeSet<(i64, String, i64)>| -> BTreeSet<_> {
                    set.into_iter().filter(|(_, _, n)| *n > 0).collect()
                };
                assert_same(
                    &merged("SELECT window_start, host, fan_out FROM merged_fan_out"),
                    &nonzero(single("out")),
                );
                assert_same(
                    &merged("SELECT window_start, host, fan_in FROM merged_fan_in"),
                    &nonzero(single("in")),
                );
            }
        }
    }
}

/// The guide's merge SQL, unchanged, on DuckDB (through its Python
/// package, when installed: `pip install duckdb`): the shards' CSV files
/// loaded with `read_csv(..., union_by_name = true)`, as the guide says,
/// give the single machine's bytes and distinct peers.
#[test]
fn the_merge_sql_runs_unchanged_on_duckdb_when_present() {
    let probe = Command::new("python3")
        .args(["-c", "import duckdb"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!("DuckDB's Python package is not installed: not checked");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let zeek = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data/conn.log");
    let late = ["--max-log-late-seconds", "3600"];
    let mut files = Vec::new();
    for (i, shard) in shards(&zeek).iter().enumerate() {
        let path = dir.path().join(format!("shard{i}.log"));
        std::fs::write(&path, shard).unwrap();
        for by in ["bytes", "peers"] {
            let csv = dir.path().join(format!("{by}{i}.csv"));
            let args = [&late[..], &["--emit-counts", "--by", by, "--format", "csv"]].concat();
            std::fs::write(&csv, stream(&args, &path)).unwrap();
            files.push(format!("'{}'", csv.display()));
        }
    }
    let script = format!(
        "import duckdb, sys\n\
         con = duckdb.connect()\n\
         con.execute(\"CREATE TABLE rows AS SELECT * FROM read_csv([{}], union_by_name = true)\")\n\
         con.execute(sys.stdin.read())\n\
         for q in ['SELECT window_start, host, total FROM merged_sums', \
                   'SELECT window_start, host, peers FROM merged_peers']:\n\
         \x20   for w, h, n in con.execute(q).fetchall():\n\
         \x20       print(f'{{w}}\\t{{h}}\\t{{n}}')\n\
         \x20   print('--')\n",
        files.join(", ")
    );
    let o = common::run_command_with_stdin(
        Command::new("python3").args(["-c", &script]),
        guide_merge_sql().as_bytes(),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8(o.stdout).unwrap();
    let parts: Vec<&str> = out.split("--\n").collect();
    let parse = |part: &str| -> BTreeSet<(i64, String, i64)> {
        part.lines()
            .map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                (
                    f[0].parse().unwrap(),
                    f[1].to_string(),
                    f[2].parse().unwrap(),
                )
            })
            .collect()
    };
    for (part, by) in parts.iter().zip(["bytes", "peers"]) {
        let single = stream(
            &[&late[..], &["--by", by, "--top", "1000000"]].concat(),
            &zeek,
        );
        let want: BTreeSet<(i64, String, i64)> = String::from_utf8(single)
            .unwrap()
            .lines()
            .filter(|l| l.contains("\tTOP\t"))
            .map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                let w = f[0].trim_end_matches(".0").parse().unwrap();
                (w, f[2].to_string(), f[3].parse().unwrap())
            })
            .collect();
        assert!(want.len() > 50, "{by}");
        assert_same(&parse(part), &want);
    }
}
