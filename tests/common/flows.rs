//! Zeek TSV, Zeek JSON and VPC flow logs of random connections, and a model that
//! reads them back itself: the obvious loops over split fields, sharing
//! nothing with the library's parsers. The independent reference of the
//! tests of both tools' filters and measures (`tests/analyst_cli.rs`,
//! `tests/stream_measures.rs`).

use std::collections::HashMap;

use proptest::prelude::*;

use super::H;

/// One connection, as the generator draws it; `None` is unset (`-`).
#[derive(Clone, Debug)]
pub(crate) struct Conn {
    /// Microseconds after `H`.
    pub(crate) micros: u64,
    pub(crate) from: &'static str,
    pub(crate) to: &'static str,
    pub(crate) sport: Option<u16>,
    pub(crate) dport: Option<u16>,
    pub(crate) proto: &'static str,
    pub(crate) orig: (Option<u64>, Option<u64>),
    pub(crate) resp: (Option<u64>, Option<u64>),
    pub(crate) action: &'static str,
}

pub(crate) const HOSTS: &[&str] = &[
    "10.0.0.1",
    "10.0.0.2",
    "Alpha",
    "alpha",
    "10.0.1.7",
    "2001:db8::5",
];
pub(crate) const PORTS: &[u16] = &[22, 53, 80, 443, 3389, 6000, 6050, 6101];
pub(crate) const PROTOS: &[&str] = &["tcp", "udp", "icmp", "unknown_transport"];

pub(crate) fn unset_u16(s: impl Strategy<Value = u16>) -> impl Strategy<Value = Option<u16>> {
    proptest::option::weighted(0.8, s)
}

pub(crate) fn conns() -> impl Strategy<Value = Vec<Conn>> {
    // A field set four times in five, else unset.
    let unset = |s| proptest::option::weighted(0.8, s);
    let conn = (
        0u64..4_000_000_000,
        proptest::sample::select(HOSTS),
        proptest::sample::select(HOSTS),
        unset_u16(1024u16..1100),
        unset_u16(proptest::sample::select(PORTS)),
        proptest::sample::select(PROTOS),
        (unset(0u64..5000), unset(1u64..9)),
        (unset(0u64..5000), unset(0u64..9)),
        proptest::sample::select(&["ACCEPT", "REJECT"][..]),
    )
        .prop_map(
            |(micros, from, to, sport, dport, proto, orig, resp, action)| Conn {
                micros,
                from,
                to,
                sport,
                dport,
                proto,
                orig,
                resp,
                action,
            },
        );
    proptest::collection::vec(conn, 1..60).prop_map(|mut conns| {
        // In time order, some up to 200 s late: the bound of 300 s holds.
        conns.sort_by_key(|c| c.micros);
        for (i, c) in conns.iter_mut().enumerate() {
            if i % 5 == 3 {
                c.micros = c.micros.saturating_sub(200_000_000);
            }
        }
        conns
    })
}

pub(crate) fn text(v: Option<impl ToString>) -> String {
    v.map_or("-".to_string(), |v| v.to_string())
}

/// A Zeek TSV log of `conns`.
pub(crate) fn zeek_log(conns: &[Conn]) -> String {
    let mut log = String::from(
        "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n\
         #fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\n\
         #types\ttime\tstring\taddr\tport\taddr\tport\tenum\tcount\tcount\tcount\tcount\n",
    );
    for c in conns {
        let t = H * 1_000_000 + c.micros;
        log.push_str(&format!(
            "{}.{:06}\tCx\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
            t / 1_000_000,
            t % 1_000_000,
            c.from,
            text(c.sport),
            c.to,
            text(c.dport),
            c.proto,
            text(c.orig.1),
            text(c.orig.0),
            text(c.resp.1),
            text(c.resp.0),
        ));
    }
    log
}

/// A VPC flow log of `conns` in the default (version 2) layout: bytes
/// and packets are the originator's, the time whole seconds.
pub(crate) fn vpc_log(conns: &[Conn]) -> String {
    let mut log = String::new();
    for c in conns {
        let number = match c.proto {
            "tcp" => 6,
            "udp" => 17,
            "icmp" => 1,
            _ => 47,
        };
        let start = H + c.micros / 1_000_000;
        log.push_str(&format!(
            "2 123456789010 eni-0a1b {} {} {} {} {number} {} {} {start} {} {} OK\n",
            c.from,
            c.to,
            text(c.sport),
            text(c.dport),
            text(c.orig.1),
            text(c.orig.0),
            start + 60,
            c.action,
        ));
    }
    log
}

/// A Zeek JSON log of `conns`: an unset field's key is left out, as
/// Zeek writes it.
pub(crate) fn zeek_json_log(conns: &[Conn]) -> String {
    let mut log = String::new();
    for c in conns {
        let t = H * 1_000_000 + c.micros;
        let mut line = format!(
            "{{\"ts\":{}.{:06},\"uid\":\"Cx\",\"id.orig_h\":\"{}\",\"id.resp_h\":\"{}\",\"proto\":\"{}\"",
            t / 1_000_000,
            t % 1_000_000,
            c.from,
            c.to,
            c.proto
        );
        for (key, value) in [
            ("id.orig_p", c.sport.map(u64::from)),
            ("id.resp_p", c.dport.map(u64::from)),
            ("orig_pkts", c.orig.1),
            ("orig_ip_bytes", c.orig.0),
            ("resp_pkts", c.resp.1),
            ("resp_ip_bytes", c.resp.0),
        ] {
            if let Some(v) = value {
                line.push_str(&format!(",\"{key}\":{v}"));
            }
        }
        log.push_str(&line);
        log.push_str("}\n");
    }
    log
}

/// A record as the model reads it back from a line.
pub(crate) struct ModelRecord {
    /// The time field as written, and its value in nanoseconds.
    pub(crate) ts_text: String,
    pub(crate) nanos: u128,
    pub(crate) from: String,
    pub(crate) to: String,
    pub(crate) sport: Option<u16>,
    pub(crate) dport: Option<u16>,
    pub(crate) proto: Option<u8>,
    pub(crate) bytes: Option<u64>,
    pub(crate) packets: Option<u64>,
    pub(crate) action: Option<String>,
}

pub(crate) fn set(field: &str) -> Option<&str> {
    (field != "-").then_some(field)
}

/// Nanoseconds of `secs[.fraction]` (no millisecond values here).
pub(crate) fn nanos_of(text: &str) -> u128 {
    let (secs, frac) = text.split_once('.').unwrap_or((text, ""));
    let frac = format!("{frac:0<9}");
    secs.parse::<u128>().unwrap() * 1_000_000_000 + frac[..9].parse::<u128>().unwrap()
}

pub(crate) fn sum(a: Option<&str>, b: Option<&str>) -> Option<u64> {
    let n = |v: Option<&str>| v.map(|v| v.parse::<u64>().unwrap());
    match (n(a), n(b)) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0) + b.unwrap_or(0)),
    }
}

/// The records of a Zeek TSV log, fields found by the names `#fields` gives.
pub(crate) fn read_zeek(log: &str) -> Vec<ModelRecord> {
    let mut names: Vec<&str> = Vec::new();
    let mut records = Vec::new();
    for line in log.lines() {
        if let Some(rest) = line.strip_prefix("#fields\t") {
            names = rest.split('\t').collect();
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let values: HashMap<&str, &str> = names.iter().copied().zip(line.split('\t')).collect();
        let from = values["id.orig_h"];
        records.push(ModelRecord {
            ts_text: values["ts"].to_string(),
            nanos: nanos_of(values["ts"]),
            from: from.to_string(),
            to: values["id.resp_h"].to_string(),
            sport: set(values["id.orig_p"]).map(|p| p.parse().unwrap()),
            dport: set(values["id.resp_p"]).map(|p| p.parse().unwrap()),
            proto: match values["proto"] {
                "tcp" => Some(6),
                "udp" => Some(17),
                "icmp" if from.contains(':') => Some(58),
                "icmp" => Some(1),
                _ => None,
            },
            bytes: sum(set(values["orig_ip_bytes"]), set(values["resp_ip_bytes"])),
            packets: sum(set(values["orig_pkts"]), set(values["resp_pkts"])),
            action: None,
        });
    }
    records
}

/// The records of a Zeek JSON log, read by `serde_json`; the time's text
/// as written is the number after `"ts":`.
pub(crate) fn read_zeek_json(log: &str) -> Vec<ModelRecord> {
    log.lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let ts = line["{\"ts\":".len()..].split(',').next().unwrap();
            let from = v["id.orig_h"].as_str().unwrap();
            let n = |key: &str| v.get(key).and_then(serde_json::Value::as_u64);
            let sum =
                |a: Option<u64>, b: Option<u64>| a.or(b).map(|_| a.unwrap_or(0) + b.unwrap_or(0));
            ModelRecord {
                ts_text: ts.to_string(),
                nanos: nanos_of(ts),
                from: from.to_string(),
                to: v["id.resp_h"].as_str().unwrap().to_string(),
                sport: n("id.orig_p").map(|p| p as u16),
                dport: n("id.resp_p").map(|p| p as u16),
                proto: match v["proto"].as_str().unwrap() {
                    "tcp" => Some(6),
                    "udp" => Some(17),
                    "icmp" if from.contains(':') => Some(58),
                    "icmp" => Some(1),
                    _ => None,
                },
                bytes: sum(n("orig_ip_bytes"), n("resp_ip_bytes")),
                packets: sum(n("orig_pkts"), n("resp_pkts")),
                action: None,
            }
        })
        .collect()
}

/// The records of a default-layout VPC log.
pub(crate) fn read_vpc(log: &str) -> Vec<ModelRecord> {
    log.lines()
        .map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            ModelRecord {
                ts_text: f[10].to_string(),
                nanos: nanos_of(f[10]),
                from: f[3].to_string(),
                to: f[4].to_string(),
                sport: set(f[5]).map(|p| p.parse().unwrap()),
                dport: set(f[6]).map(|p| p.parse().unwrap()),
                proto: Some(f[7].parse().unwrap()),
                bytes: set(f[9]).map(|b| b.parse().unwrap()),
                packets: set(f[8]).map(|p| p.parse().unwrap()),
                action: set(f[12]).map(str::to_string),
            }
        })
        .collect()
}
