//! What a record carries beyond its time and two hosts: ports, protocol,
//! bytes, packets and (VPC) the action taken, where its format has them.
//!
//! Every tool path reads only `TS FROM_HOST TO_HOST` by default, and each
//! format's record parser stops at the last of those fields. A [`Detail`]
//! is extracted from a line already known to be a record, and only when a
//! filter or a per-peer measure asks for it (a [`Wanted`] set), so the
//! default per-line cost does not change: an option that needs a field
//! pays for finding it, nothing else does.
//!
//! Which formats have which field ([`DetailField::formats`]):
//!
//! | field | plain | zeek, zeek-json | vpc |
//! |---|---|---|---|
//! | source, destination port | – | `id.orig_p`, `id.resp_p` | `srcport`, `dstport` |
//! | protocol | – | `proto` (`tcp`, `udp`, `icmp`) | `protocol` (a number) |
//! | bytes | – | `orig_ip_bytes + resp_ip_bytes` | `bytes` |
//! | packets | – | `orig_pkts + resp_pkts` | `packets` |
//! | action | – | – | `action` |
//!
//! Zeek's bytes are the IP-level columns, not the payload ones
//! (`orig_bytes + resp_bytes`): they count headers like VPC's `bytes` and
//! NetFlow's, are counted from the packets seen (not from TCP sequence
//! numbers, which over-count across gaps), and are set for connections
//! without payload (a scan's `S0` attempts), where the payload columns
//! are unset (`docs/formats.md#record-fields`).
//!
//! A field the record leaves unset (`-`, or a Zeek JSON key left out) is
//! `None`: it matches no filter and adds to no sum. A field present but not
//! a value of its kind makes the line malformed, naming the field.

use std::fmt;

use crate::parse::record::Malformed;

/// A field of a record beyond its time and hosts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DetailField {
    /// The source port (`--sport`).
    SrcPort,
    /// The destination port (`--dport`, the summary's `dports`).
    DstPort,
    /// The IP protocol (`--proto`).
    Proto,
    /// Bytes, both directions.
    Bytes,
    /// Packets, both directions.
    Packets,
    /// The VPC action, `ACCEPT` or `REJECT` (`--action`).
    Action,
}

impl DetailField {
    /// What the field is, for messages ("the destination port").
    pub fn name(self) -> &'static str {
        match self {
            DetailField::SrcPort => "source port",
            DetailField::DstPort => "destination port",
            DetailField::Proto => "protocol",
            DetailField::Bytes => "byte count",
            DetailField::Packets => "packet count",
            DetailField::Action => "action",
        }
    }

    /// The formats whose records carry the field, for messages.
    pub fn formats(self) -> &'static str {
        match self {
            DetailField::Action => "vpc",
            _ => "zeek, zeek-json and vpc",
        }
    }

    fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// A set of [`DetailField`]s: what a reader should extract.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Wanted(u8);

impl Wanted {
    /// Nothing beyond the time and hosts.
    pub const NONE: Wanted = Wanted(0);

    /// Every field.
    pub const ALL: Wanted = Wanted((1 << (DetailField::Action as u8 + 1)) - 1);

    /// This set and `field`.
    #[must_use]
    pub fn with(self, field: DetailField) -> Wanted {
        Wanted(self.0 | field.bit())
    }

    /// The fields of both sets.
    #[must_use]
    pub fn union(self, other: Wanted) -> Wanted {
        Wanted(self.0 | other.0)
    }

    /// Whether `field` is in the set.
    #[inline]
    pub fn contains(self, field: DetailField) -> bool {
        self.0 & field.bit() != 0
    }

    /// Whether the set is empty.
    #[inline]
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// The VPC action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// `ACCEPT`: the traffic was let through.
    Accept,
    /// `REJECT`: security groups or network ACLs refused it.
    Reject,
}

/// The fields of one record beyond its time and hosts: those asked for
/// that its format has and that the record sets; every other one `None`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Detail {
    /// Source port (for ICMP, Zeek puts the type here and VPC 0).
    pub sport: Option<u16>,
    /// Destination port (for ICMP, Zeek puts the code here and VPC 0).
    pub dport: Option<u16>,
    /// IP protocol number: 6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6.
    pub proto: Option<u8>,
    /// Bytes, both directions, IP headers included.
    pub bytes: Option<u64>,
    /// Packets, both directions.
    pub packets: Option<u64>,
    /// The VPC action.
    pub action: Option<Action>,
    /// Digits of the record's time after the seconds' point, as the log
    /// writes it (0 for whole seconds, 3 for milliseconds, 6 for Zeek's
    /// microseconds, at most 9): the precision to print it back in.
    pub time_digits: u8,
}

/// A field an input cannot give, so that a filter on it cannot be
/// applied: the whole format lacks it, or the layout its header declares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lacking {
    /// The field.
    pub field: DetailField,
    /// The input's format (`plain`, `zeek`, `zeek-json`, `vpc`).
    pub format: &'static str,
    /// The column its header line would name, when the format has the
    /// field but this input's header (Zeek `#fields`, the VPC header line)
    /// does not name it.
    pub column: Option<&'static str>,
}

impl fmt::Display for Lacking {
    /// "plain logs have no destination port (zeek, zeek-json and vpc logs
    /// have one)", or "its header names no dstport column (the
    /// destination port)".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.field.name();
        match self.column {
            None => write!(
                f,
                "{} logs have no {name} ({} logs have one)",
                self.format,
                self.field.formats()
            ),
            Some(column) => write!(
                f,
                "this {} log's header names no {column} column (the {name})",
                self.format
            ),
        }
    }
}

impl Lacking {
    /// The whole `format` lacks `field`.
    pub(crate) fn in_format(field: DetailField, format: &'static str) -> Lacking {
        Lacking {
            field,
            format,
            column: None,
        }
    }
}

/// The optional columns of a format whose header names its columns: each
/// column's name, and the field it gives (a field may need two columns).
pub(crate) type ColumnNames = [(&'static str, DetailField)];

/// Where a header puts each of `names`: a position per column, in the
/// order of `names` (`u16`: a layout is cloned with every block).
pub(crate) fn find_column(names: &ColumnNames, name: &[u8]) -> Option<usize> {
    names.iter().position(|(n, _)| n.as_bytes() == name)
}

/// Whether a layout with the column `positions` (of `names`) lacks a
/// column that `field` needs.
pub(crate) fn lacking_column(
    names: &ColumnNames,
    positions: &[Option<u16>],
    field: DetailField,
    format: &'static str,
) -> Option<Lacking> {
    let (name, _) = names
        .iter()
        .zip(positions)
        .find(|((_, of), at)| *of == field && at.is_none())?
        .0;
    Some(Lacking {
        column: Some(name),
        ..Lacking::in_format(field, format)
    })
}

/// A field's value read by `parse`: `None` when unset (`value` is
/// `None`), `why` when set but not a value of its kind.
pub(crate) fn read_value<T>(
    value: Option<&[u8]>,
    parse: impl Fn(&[u8]) -> Option<T>,
    why: impl FnOnce() -> Malformed,
) -> Result<Option<T>, Malformed> {
    value.map(|v| parse(v).ok_or_else(why)).transpose()
}

/// A port: 0 to 65535 in decimal digits, or `None` when the text is not.
pub(crate) fn parse_port(text: &[u8]) -> Option<u16> {
    parse_count(text).and_then(|n| u16::try_from(n).ok())
}

/// A count: decimal digits that fit in 64 bits.
pub(crate) fn parse_count(text: &[u8]) -> Option<u64> {
    if text.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    for &b in text {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(digit))?;
    }
    Some(n)
}

/// The protocol number of a Zeek `proto` value; `icmp` is ICMPv6 (58)
/// when the originator is an IPv6 address, as Zeek writes both `icmp`.
/// `None` for `unknown_transport` and anything else.
pub(crate) fn zeek_proto(name: &[u8], orig_h: &[u8]) -> Option<u8> {
    match name {
        b"tcp" => Some(6),
        b"udp" => Some(17),
        b"icmp" if orig_h.contains(&b':') => Some(58),
        b"icmp" => Some(1),
        _ => None,
    }
}

/// A VPC `action` value.
pub(crate) fn parse_action(text: &[u8]) -> Option<Action> {
    match text {
        b"ACCEPT" => Some(Action::Accept),
        b"REJECT" => Some(Action::Reject),
        _ => None,
    }
}

/// The digits after the seconds' point of a `TS` field as written
/// (`docs/behaviour.md#timestamps`): its fraction digits, plus 3 when its
/// value is in milliseconds; at most 9. Only called on a field that
/// parsed as a time.
pub(crate) fn time_digits(field: &[u8]) -> u8 {
    let (int, frac) = match memchr::memchr(b'.', field) {
        Some(dot) => (&field[..dot], &field[dot + 1..]),
        None => (field, &b""[..]),
    };
    let significant = int
        .iter()
        .position(|&b| b != b'0')
        .map_or(0, |i| int.len() - i);
    let millis = if significant > 12 { 3 } else { 0 };
    (frac.len() + millis).min(9) as u8
}

/// The fraction digits of an RFC 3339 time (`…:04.351234Z`): at most 9.
pub(crate) fn rfc3339_digits(text: &[u8]) -> u8 {
    match memchr::memchr(b'.', text) {
        Some(dot) => text[dot + 1..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
            .min(9) as u8,
        None => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_digits_follow_the_unit_rule() {
        assert_eq!(time_digits(b"1565647204"), 0);
        assert_eq!(time_digits(b"1565647204.351"), 3);
        assert_eq!(time_digits(b"1565647204.351000"), 6);
        assert_eq!(time_digits(b"1565647204351"), 3);
        assert_eq!(time_digits(b"1565647204351.5"), 4);
        assert_eq!(time_digits(b"0001565647204"), 0);
        assert_eq!(time_digits(b"999999999999"), 0);
        assert_eq!(time_digits(b"1.1234567891234"), 9);
        assert_eq!(rfc3339_digits(b"2019-08-12T22:00:04.351234Z"), 6);
        assert_eq!(rfc3339_digits(b"2019-08-12T22:00:04Z"), 0);
    }

    #[test]
    fn numbers_ports_protocols_and_actions() {
        assert_eq!(parse_port(b"65535"), Some(65535));
        assert_eq!(parse_port(b"65536"), None);
        assert_eq!(parse_port(b"-"), None);
        assert_eq!(parse_port(b""), None);
        assert_eq!(parse_count(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_count(b"18446744073709551616"), None);
        assert_eq!(parse_count(b"+1"), None);
        assert_eq!(zeek_proto(b"tcp", b"10.0.0.1"), Some(6));
        assert_eq!(zeek_proto(b"icmp", b"10.0.0.1"), Some(1));
        assert_eq!(zeek_proto(b"icmp", b"2001:db8::1"), Some(58));
        assert_eq!(zeek_proto(b"unknown_transport", b"10.0.0.1"), None);
        assert_eq!(parse_action(b"REJECT"), Some(Action::Reject));
        assert_eq!(parse_action(b"-"), None);
    }

    #[test]
    fn lacking_fields_name_the_formats_that_have_them() {
        let plain = Lacking::in_format(DetailField::DstPort, "plain");
        assert_eq!(
            plain.to_string(),
            "plain logs have no destination port (zeek, zeek-json and vpc logs have one)"
        );
        let column = Lacking {
            column: Some("dstport"),
            ..Lacking::in_format(DetailField::DstPort, "vpc")
        };
        assert_eq!(
            column.to_string(),
            "this vpc log's header names no dstport column (the destination port)"
        );
        let wanted = Wanted::NONE.with(DetailField::Action);
        assert!(wanted.contains(DetailField::Action) && !wanted.contains(DetailField::Bytes));
        for field in [
            DetailField::SrcPort,
            DetailField::DstPort,
            DetailField::Proto,
            DetailField::Bytes,
            DetailField::Packets,
            DetailField::Action,
        ] {
            assert!(Wanted::ALL.contains(field) && Wanted::ALL.with(field) == Wanted::ALL);
        }
        assert!(Wanted::NONE.is_empty() && !wanted.is_empty());
    }
}
