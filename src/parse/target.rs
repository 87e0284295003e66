//! What `--to` and `--from` match: a host name, an address, a network
//! (`10.1.0.0/16`, `2001:db8::/32`), or a list of them (`@FILE`).
//!
//! Names compare ASCII case-insensitively, as always. Addresses compare by
//! value where textual forms differ: `2001:db8::1` is `2001:0db8:0:0::1`.
//! An IPv4 address has one textual form (the parser refuses leading
//! zeros), so it stays a name compare: the single-host fast path is the
//! same byte compare as before networks existed.
//!
//! A network is tested cheaply first: every IPv4 address of `10.1.0.0/16`
//! begins with the text `10.1.`, so only fields that do are parsed as an
//! address (the `--to` pre-filter of `connspy` relies on this); an IPv6
//! network parses only fields with a `:`.
//!
//! Memory: the names of a list in one hash set (lower-cased), the networks
//! in a vector tested one by one (lists of networks are short).

use std::collections::HashSet;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::parse::host_key::ShortName;
use crate::parse::record::{is_separator, last_field_is};

/// An IPv4 network and the text every address in it begins with.
#[derive(Clone, Debug, PartialEq, Eq)]
struct V4Net {
    net: u32,
    mask: u32,
    /// The whole octets of the prefix, each followed by `.` (at most 3).
    text: Vec<u8>,
}

/// A `--to` / `--from` target (see the module doc).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// As given (lower-cased), for output that names the target.
    label: Vec<u8>,
    /// The whole target when it is one name: the fast path.
    single: Option<Vec<u8>>,
    /// That name when it is short: a compare of two words.
    short: Option<ShortName>,
    names: HashSet<Vec<u8>>,
    v4: Vec<V4Net>,
    v6: Vec<(u128, u128)>,
}

/// One entry of a target.
enum Entry {
    Name(Vec<u8>),
    V4(V4Net),
    V6(u128, u128),
}

fn parse_entry(text: &[u8]) -> Result<Entry, String> {
    if text.is_empty() {
        return Err("a host name must not be empty".into());
    }
    if text.iter().any(|&b| is_separator(b)) {
        return Err(format!(
            "'{}' contains whitespace, so no log field can equal it",
            String::from_utf8_lossy(text)
        ));
    }
    let utf8 = std::str::from_utf8(text).ok();
    // A `/` after an address makes a network; after anything else the
    // text stays a name (log tokens may hold a `/`).
    let network = utf8
        .and_then(|t| t.split_once('/'))
        .filter(|(addr, _)| addr.parse::<std::net::IpAddr>().is_ok());
    if let Some((addr, len)) = network {
        let bad = || format!("'{addr}/{len}' is not a network (like 10.1.0.0/16 or 2001:db8::/32)");
        let len: u32 = len.parse().map_err(|_| bad())?;
        if let Ok(a) = addr.parse::<Ipv4Addr>() {
            if len > 32 {
                return Err(bad());
            }
            let mask = u32::MAX.checked_shl(32 - len).unwrap_or(0);
            let net = u32::from(a);
            if net & !mask != 0 {
                return Err(format!(
                    "'{addr}/{len}' has host bits set (the network is {}/{len})",
                    Ipv4Addr::from(net & mask)
                ));
            }
            let octets = (len / 8).min(3) as usize;
            let mut text = Vec::new();
            for o in &a.octets()[..octets] {
                text.extend_from_slice(o.to_string().as_bytes());
                text.push(b'.');
            }
            return Ok(Entry::V4(V4Net { net, mask, text }));
        }
        if let Ok(a) = addr.parse::<Ipv6Addr>() {
            if len > 128 {
                return Err(bad());
            }
            let mask = u128::MAX.checked_shl(128 - len).unwrap_or(0);
            let net = u128::from(a);
            if net & !mask != 0 {
                return Err(format!(
                    "'{addr}/{len}' has host bits set (the network is {}/{len})",
                    Ipv6Addr::from(net & mask)
                ));
            }
            return Ok(Entry::V6(net, mask));
        }
        unreachable!("the address parsed as IPv4 or IPv6");
    }
    if let Some(a) = utf8
        .filter(|t| t.contains(':'))
        .and_then(|t| t.parse::<Ipv6Addr>().ok())
    {
        return Ok(Entry::V6(u128::from(a), u128::MAX));
    }
    Ok(Entry::Name(text.to_ascii_lowercase()))
}

impl Target {
    /// One host, address or network as given on the command line.
    pub fn parse(text: &[u8]) -> Result<Target, String> {
        let mut target = Target::empty(text);
        target.add(parse_entry(text)?);
        target.single = match (&target.names, target.v4.is_empty() && target.v6.is_empty()) {
            (names, true) if names.len() == 1 => names.iter().next().cloned(),
            _ => None,
        };
        target.short = target.single.as_deref().and_then(ShortName::new);
        Ok(target)
    }

    /// A list of hosts and networks, one a line, `#` starting a comment
    /// (the contents of an `@FILE`); `label` names it in output.
    pub fn parse_list(label: &[u8], text: &[u8]) -> Result<Target, String> {
        let mut target = Target::empty(label);
        for (i, line) in text.split(|&b| b == b'\n').enumerate() {
            let line = line.split(|&b| b == b'#').next().unwrap_or_default();
            let line = line.trim_ascii();
            if line.is_empty() {
                continue;
            }
            target.add(parse_entry(line).map_err(|e| format!("line {}: {e}", i + 1))?);
        }
        if target.names.is_empty() && target.v4.is_empty() && target.v6.is_empty() {
            return Err("the list names no host or network".into());
        }
        Ok(target)
    }

    fn empty(label: &[u8]) -> Target {
        Target {
            label: label.to_ascii_lowercase(),
            single: None,
            short: None,
            names: HashSet::new(),
            v4: Vec::new(),
            v6: Vec::new(),
        }
    }

    fn add(&mut self, entry: Entry) {
        match entry {
            Entry::Name(name) => {
                self.names.insert(name);
            }
            Entry::V4(net) => self.v4.push(net),
            Entry::V6(net, mask) => self.v6.push((net, mask)),
        }
    }

    /// The one name the target is, when it is a single name (lower case),
    /// for tests that compare the last field byte for byte.
    pub(crate) fn single_name(&self) -> Option<&[u8]> {
        self.single.as_deref()
    }

    /// The target as given, lower-cased.
    pub fn label(&self) -> &[u8] {
        &self.label
    }

    /// Whether `host` (a log field) is, or is in, the target.
    #[inline]
    pub fn matches(&self, host: &[u8]) -> bool {
        if let Some(short) = &self.short {
            return short.is(host);
        }
        match &self.single {
            Some(name) => host.eq_ignore_ascii_case(name),
            None => self.matches_any(host),
        }
    }

    fn matches_any(&self, host: &[u8]) -> bool {
        if !self.names.is_empty() {
            let found = if host.iter().any(u8::is_ascii_uppercase) {
                self.names.contains(&host.to_ascii_lowercase())
            } else {
                self.names.contains(host)
            };
            if found {
                return true;
            }
        }
        if !self.v4.is_empty() && host.first().is_some_and(u8::is_ascii_digit) {
            let mut addr = None;
            for net in &self.v4 {
                if !host.starts_with(&net.text) {
                    continue;
                }
                let a = *addr.get_or_insert_with(|| parse_v4(host));
                match a {
                    Some(a) if a & net.mask == net.net => return true,
                    Some(_) => {}
                    None => break,
                }
            }
        }
        if !self.v6.is_empty()
            && memchr::memchr(b':', host).is_some()
            && let Some(a) = std::str::from_utf8(host)
                .ok()
                .and_then(|t| t.parse::<Ipv6Addr>().ok())
        {
            let a = u128::from(a);
            return self.v6.iter().any(|&(net, mask)| a & mask == net);
        }
        false
    }

    /// Whether the last field of `line` can match, without parsing the
    /// line: the cheap test a `--to` scan of a plain log makes first.
    #[inline]
    pub fn may_match_last_field(&self, line: &[u8]) -> bool {
        if let Some(short) = &self.short {
            let mut end = line.len();
            while end > 0 && is_separator(line[end - 1]) {
                end -= 1;
            }
            let n = short.len();
            return end > n && is_separator(line[end - n - 1]) && short.is(&line[end - n..end]);
        }
        match &self.single {
            Some(name) => last_field_is(line, name),
            None => {
                let mut end = line.len();
                while end > 0 && is_separator(line[end - 1]) {
                    end -= 1;
                }
                let mut start = end;
                while start > 0 && !is_separator(line[start - 1]) {
                    start -= 1;
                }
                start > 0 && self.matches_any(&line[start..end])
            }
        }
    }
}

/// An IPv4 address in dotted decimal, as strictly as `Ipv4Addr`'s parser
/// (four decimal octets up to 255, no leading zeros, nothing else), a few
/// times faster: a `--to` network tests every candidate line's field.
#[inline]
fn parse_v4(text: &[u8]) -> Option<u32> {
    let mut addr = 0u32;
    let mut parts = text.split(|&b| b == b'.');
    for _ in 0..4 {
        let part = parts.next()?;
        if part.is_empty() || part.len() > 3 || (part.len() > 1 && part[0] == b'0') {
            return None;
        }
        let mut octet = 0u32;
        for &b in part {
            if !b.is_ascii_digit() {
                return None;
            }
            octet = octet * 10 + (b - b'0') as u32;
        }
        if octet > 255 {
            return None;
        }
        addr = addr << 8 | octet;
    }
    parts.next().is_none().then_some(addr)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(text: &str) -> Target {
        Target::parse(text.as_bytes()).unwrap()
    }

    #[test]
    fn names_compare_case_insensitively() {
        assert!(t("Zyla").matches(b"zYLA"));
        assert!(!t("zyla").matches(b"zyl"));
        assert!(t("zyla").may_match_last_field(b"1 a ZYLA \r"));
        assert!(!t("zyla").may_match_last_field(b"zyla"));
    }

    #[test]
    fn networks_match_addresses_in_them() {
        let n = t("10.1.0.0/16");
        assert!(n.matches(b"10.1.0.0") && n.matches(b"10.1.255.7"));
        assert!(!n.matches(b"10.10.0.1") && !n.matches(b"10.2.0.1") && !n.matches(b"10.1.x.1"));
        assert!(
            !n.matches(b"010.1.0.1"),
            "not an address, so not in the network"
        );
        let n = t("10.1.16.0/20");
        assert!(n.matches(b"10.1.31.255") && !n.matches(b"10.1.32.0"));
        assert!(t("0.0.0.0/0").matches(b"192.168.1.1"));
        assert!(t("10.1.2.3/32").matches(b"10.1.2.3"));
        assert!(!t("10.1.2.3/32").matches(b"10.1.2.30"));
        let v6 = t("2001:db8::/32");
        assert!(v6.matches(b"2001:DB8:0:0::1") && v6.matches(b"2001:db8:ffff::"));
        assert!(!v6.matches(b"2001:db9::1") && !v6.matches(b"10.1.0.1"));
        assert!(n.may_match_last_field(b"1 a 10.1.20.1"));
        assert!(!n.may_match_last_field(b"1 a 10.2.20.1"));
    }

    #[test]
    fn ipv6_addresses_compare_by_value() {
        let a = t("2001:db8::1");
        assert!(a.matches(b"2001:0db8:0:0::1") && a.matches(b"2001:DB8::0:1"));
        assert!(!a.matches(b"2001:db8::2"));
    }

    #[test]
    fn bad_networks_are_refused_with_a_reason() {
        for bad in [
            "10.1.2.3/16",
            "10.1.0.0/33",
            "10.1.0.0/x",
            "2001:db8::1/32",
            "::/129",
            "",
        ] {
            assert!(Target::parse(bad.as_bytes()).is_err(), "{bad}");
        }
        assert!(
            Target::parse(b"10.1.2.3/16")
                .unwrap_err()
                .contains("10.1.0.0/16")
        );
        // A `/` after a name is part of the name.
        assert!(t("Zyla/8").matches(b"zyla/8"));
    }

    #[test]
    fn lists_mix_names_and_networks_with_comments() {
        let l = Target::parse_list(
            b"@internal.txt",
            b"# internal\nZyla\n\n 10.1.0.0/16  # lab\n2001:db8::/32\n",
        )
        .unwrap();
        assert!(l.matches(b"zyla") && l.matches(b"ZYLA") && l.matches(b"10.1.2.3"));
        assert!(l.matches(b"2001:db8::5") && !l.matches(b"tanya") && !l.matches(b"10.2.0.1"));
        assert_eq!(l.label(), b"@internal.txt");
        assert!(Target::parse_list(b"@x", b"# nothing\n").is_err());
        let e = Target::parse_list(b"@x", b"a\n10.0.0.1/40\n").unwrap_err();
        assert!(e.starts_with("line 2: "), "{e}");
    }

    proptest::proptest! {
        /// The fast IPv4 parser agrees with the standard one.
        #[test]
        fn ipv4_parsing_agrees_with_std(text in "[0-9.]{0,17}|[0-9]{1,3}(\\.[0-9]{1,3}){3}") {
            let std = text.parse::<Ipv4Addr>().ok().map(u32::from);
            proptest::prop_assert_eq!(parse_v4(text.as_bytes()), std);
        }

        /// The text pre-filter never rejects an address in the network.
        #[test]
        fn a_network_matches_exactly_its_addresses(addr: u32, net: u32, len in 0u32..=32) {
            let mask = u32::MAX.checked_shl(32 - len).unwrap_or(0);
            let net = net & mask;
            let target = t(&format!("{}/{len}", Ipv4Addr::from(net)));
            let host = Ipv4Addr::from(addr).to_string();
            proptest::prop_assert_eq!(target.matches(host.as_bytes()), addr & mask == net);
            let line = format!("1 x {host}");
            proptest::prop_assert_eq!(target.may_match_last_field(line.as_bytes()), addr & mask == net);
        }
    }
}
