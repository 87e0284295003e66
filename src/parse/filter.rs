//! Record filters: `--dport`, `--sport`, `--proto` and `--action`, which
//! both tools AND with each other and with `--to`/`--from`
//! (`docs/behaviour.md#filters`).
//!
//! A filter needs fields beyond the time and hosts ([`crate::parse::detail`]):
//! it names them ([`RecordFilter::wanted`]) so that a reader extracts them
//! only when asked, and refuses an input whose format or header lacks one
//! ([`RecordFilter::lacking_in`]) rather than match nothing in silence. A
//! record whose field is unset matches no filter on it.

use std::fmt;

use crate::parse::detail::{Action, Detail, DetailField, Lacking, Wanted, parse_port};
use crate::parse::format::FormatState;
use crate::parse::record::Malformed;

/// Ports: one (`22`), a list (`80,443`), ranges (`6000-6100`), or a mix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortSet {
    /// Inclusive ranges, as given.
    ranges: Vec<(u16, u16)>,
}

impl PortSet {
    /// Parses `--dport`/`--sport` values.
    pub fn parse(text: &str) -> Result<PortSet, String> {
        let port = |p: &str| {
            parse_port(p.as_bytes())
                .ok_or_else(|| format!("'{p}' is not a port (a whole number from 0 to 65535)"))
        };
        let mut ranges = Vec::new();
        for part in text.split(',') {
            let range = match part.split_once('-') {
                Some((low, high)) => {
                    let (low, high) = (port(low)?, port(high)?);
                    if low > high {
                        return Err(format!(
                            "the range '{part}' ends before it starts (write {high}-{low})"
                        ));
                    }
                    (low, high)
                }
                None => {
                    let p = port(part)?;
                    (p, p)
                }
            };
            ranges.push(range);
        }
        Ok(PortSet { ranges })
    }

    /// Whether `port` is in the set.
    pub fn contains(&self, port: u16) -> bool {
        self.ranges
            .iter()
            .any(|&(low, high)| (low..=high).contains(&port))
    }
}

/// IP protocols, by number; `icmp` stands for ICMP and ICMPv6 (1, 58).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProtoSet {
    numbers: Vec<u8>,
}

impl ProtoSet {
    /// Parses `--proto` values: `tcp`, `udp`, `icmp` or a number from 0
    /// to 255, or several of them separated by commas.
    pub fn parse(text: &str) -> Result<ProtoSet, String> {
        let mut numbers = Vec::new();
        for part in text.split(',') {
            match part.to_ascii_lowercase().as_str() {
                "tcp" => numbers.push(6),
                "udp" => numbers.push(17),
                "icmp" => numbers.extend([1, 58]),
                other => numbers.push(
                    other
                        .parse::<u8>()
                        .ok()
                        .filter(|_| other.bytes().all(|b| b.is_ascii_digit()))
                        .ok_or_else(|| {
                            format!(
                                "'{part}' is not a protocol (tcp, udp, icmp, or a number from 0 to 255)"
                            )
                        })?,
                ),
            }
        }
        Ok(ProtoSet { numbers })
    }

    /// Whether protocol `number` is in the set.
    pub fn contains(&self, number: u8) -> bool {
        self.numbers.contains(&number)
    }
}

/// `--action`: `accept` or `reject`, in any case.
pub fn parse_action_arg(text: &str) -> Result<Action, String> {
    match text.to_ascii_lowercase().as_str() {
        "accept" => Ok(Action::Accept),
        "reject" => Ok(Action::Reject),
        _ => Err(format!("'{text}' is not an action (accept or reject)")),
    }
}

/// The filters of one run; every one given must match (AND). The default
/// filters nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecordFilter {
    /// `--sport`.
    pub sport: Option<PortSet>,
    /// `--dport`.
    pub dport: Option<PortSet>,
    /// `--proto`.
    pub proto: Option<ProtoSet>,
    /// `--action`.
    pub action: Option<Action>,
}

/// An input a filter cannot be applied to: which option, and what the
/// input lacks. Shown as one sentence after the input's name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unfilterable {
    /// The option (`--dport`).
    pub option: &'static str,
    /// What the input lacks.
    pub lacking: Lacking,
}

impl fmt::Display for Unfilterable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} cannot be applied: {}", self.option, self.lacking)
    }
}

impl RecordFilter {
    /// The options given, with the field each needs.
    fn options(&self) -> impl Iterator<Item = (&'static str, DetailField)> {
        [
            (self.sport.is_some(), "--sport", DetailField::SrcPort),
            (self.dport.is_some(), "--dport", DetailField::DstPort),
            (self.proto.is_some(), "--proto", DetailField::Proto),
            (self.action.is_some(), "--action", DetailField::Action),
        ]
        .into_iter()
        .filter(|(given, ..)| *given)
        .map(|(_, option, field)| (option, field))
    }

    /// Whether no filter is given (every record passes).
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.options().next().is_none()
    }

    /// The fields the filters read.
    pub fn wanted(&self) -> Wanted {
        self.options()
            .fold(Wanted::NONE, |wanted, (_, field)| wanted.with(field))
    }

    /// The first filter that an input read in `state` cannot give a
    /// field to, if any.
    pub fn lacking_in(&self, state: &FormatState) -> Option<Unfilterable> {
        self.options().find_map(|(option, field)| {
            state
                .lacking(field)
                .map(|lacking| Unfilterable { option, lacking })
        })
    }

    /// The [`Detail`] of `line`, a record read in `state`, with the fields
    /// the filters read and those of `also`, if the record passes every
    /// filter; `None` if it does not; malformed if a field read is not a
    /// value of its kind.
    pub fn judge(
        &self,
        state: &FormatState,
        line: &[u8],
        also: Wanted,
    ) -> Result<Option<Detail>, Malformed> {
        let detail = state.detail(line, also.union(self.wanted()))?;
        Ok(self.passes(&detail).then_some(detail))
    }

    /// Whether a record with `detail` passes every filter; a field the
    /// record leaves unset passes none.
    pub fn passes(&self, detail: &Detail) -> bool {
        fn test<T, V: Copy>(
            filter: &Option<T>,
            value: Option<V>,
            ok: impl Fn(&T, V) -> bool,
        ) -> bool {
            match filter {
                None => true,
                Some(filter) => value.is_some_and(|v| ok(filter, v)),
            }
        }
        test(&self.sport, detail.sport, PortSet::contains)
            && test(&self.dport, detail.dport, PortSet::contains)
            && test(&self.proto, detail.proto, ProtoSet::contains)
            && test(&self.action, detail.action, |a, v| *a == v)
    }
}

/// A filter applied to the records of one input as a reader meets them:
/// whether the input can give the fields it tests is checked at the first
/// record, and again after each header line (a Zeek header block or VPC
/// header line may name other columns).
pub(crate) struct Screen<'f> {
    filter: &'f RecordFilter,
    checked: bool,
}

impl<'f> Screen<'f> {
    /// A screen of `filter`, nothing checked yet.
    pub(crate) fn new(filter: &'f RecordFilter) -> Screen<'f> {
        Screen {
            filter,
            checked: false,
        }
    }

    /// A header line was read: the layout may have changed.
    #[inline]
    pub(crate) fn header_read(&mut self) {
        self.checked = false;
    }

    /// Before a record read in `state`: the filter the state cannot give
    /// a field to, if any (checked once per layout).
    #[inline]
    pub(crate) fn check(&mut self, state: &FormatState) -> Option<Unfilterable> {
        if self.checked {
            return None;
        }
        self.checked = true;
        self.filter.lacking_in(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_one_a_list_or_ranges() {
        let set = PortSet::parse("22,80,6000-6100").unwrap();
        for (port, inside) in [
            (22, true),
            (80, true),
            (6000, true),
            (6100, true),
            (6101, false),
            (23, false),
        ] {
            assert_eq!(set.contains(port), inside, "{port}");
        }
        assert!(PortSet::parse("0-65535").unwrap().contains(65535));
        for bad in ["", "x", "22,", "-5", "70000", "10-5", "1 ", "+2"] {
            assert!(PortSet::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            PortSet::parse("10-5").unwrap_err(),
            "the range '10-5' ends before it starts (write 5-10)"
        );
    }

    #[test]
    fn protocols_by_name_or_number() {
        let icmp = ProtoSet::parse("ICMP").unwrap();
        assert!(icmp.contains(1) && icmp.contains(58) && !icmp.contains(6));
        let set = ProtoSet::parse("tcp,47").unwrap();
        assert!(set.contains(6) && set.contains(47) && !set.contains(17));
        for bad in ["", "sctp", "256", "-1", "tcp,"] {
            assert!(ProtoSet::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(parse_action_arg("Reject"), Ok(Action::Reject));
        assert!(parse_action_arg("drop").is_err());
    }

    #[test]
    fn every_filter_given_must_match_and_unset_matches_none() {
        let filter = RecordFilter {
            dport: Some(PortSet::parse("22").unwrap()),
            proto: Some(ProtoSet::parse("tcp").unwrap()),
            ..RecordFilter::default()
        };
        let ssh = Detail {
            dport: Some(22),
            proto: Some(6),
            ..Detail::default()
        };
        assert!(filter.passes(&ssh));
        assert!(!filter.passes(&Detail {
            proto: Some(17),
            ..ssh
        }));
        assert!(!filter.passes(&Detail { dport: None, ..ssh }));
        assert!(RecordFilter::default().passes(&Detail::default()));
        assert!(RecordFilter::default().is_empty() && !filter.is_empty());
        let wanted = filter.wanted();
        assert!(wanted.contains(DetailField::DstPort) && wanted.contains(DetailField::Proto));
        assert!(!wanted.contains(DetailField::SrcPort));
    }
}
