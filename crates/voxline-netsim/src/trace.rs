//! Packet traces: what was sent when and what arrived when, with JSON I/O and summary stats.

use std::collections::HashMap;
use std::io::{Read, Write};

use serde::{Deserialize, Deserializer, Serialize};

/// A trace that cannot be read or written; the message says why in one line.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    /// Reading or writing the underlying stream failed.
    #[error("trace I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The text is not valid JSON (bad syntax, truncated input, number out of range).
    #[error("malformed trace JSON: {0}")]
    Syntax(String),
    /// Valid JSON, but not an array of `{"seq", "send_ms", "arrival_ms"}` objects (missing or
    /// unknown field, wrong type, negative or fractional seq).
    #[error("trace JSON has the wrong shape: {0}")]
    Schema(String),
    /// An entry's values are invalid (negative or non-finite time).
    #[error("trace entry {index}: {reason}")]
    InvalidEntry {
        /// Zero-based position of the entry in the trace.
        index: usize,
        /// What is wrong, including the offending value.
        reason: String,
    },
}

impl From<serde_json::Error> for TraceError {
    fn from(e: serde_json::Error) -> Self {
        use serde_json::error::Category;
        match e.classify() {
            Category::Io => TraceError::Io(e.into()),
            Category::Syntax | Category::Eof => TraceError::Syntax(e.to_string()),
            Category::Data => TraceError::Schema(e.to_string()),
        }
    }
}

/// One packet copy in a trace: when it was sent and when (if ever) it arrived.
///
/// Times are in milliseconds: `send_ms` on the sender's clock, `arrival_ms` on the receiver's
/// clock (they differ under clock skew), both finite and >= 0.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraceEntry {
    /// Packet number. In simulated traces this is the packet index counted from 0 in send
    /// order and never wraps (it is not an RTP sequence number). Hand-written traces may
    /// instead use 16-bit RTP sequence numbers that wrap at 65536: they are stored as given and
    /// the consumer unwraps them. Stats and the oracle identify a packet by `(seq, send_ms)`.
    pub seq: u64,
    /// When the packet was sent (ms, sender clock).
    pub send_ms: f64,
    /// When this copy arrived (ms, receiver clock), or `None` if the packet was lost.
    #[serde(deserialize_with = "required_option")]
    pub arrival_ms: Option<f64>,
}

/// Makes an `Option` field required (present, possibly `null`) instead of defaulting to `None`.
fn required_option<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    Option::<f64>::deserialize(d)
}

impl TraceEntry {
    /// One-way delay of this copy, `arrival_ms - send_ms` (receiver minus sender clock), or
    /// `None` if lost.
    pub fn delay_ms(&self) -> Option<f64> {
        self.arrival_ms.map(|a| a - self.send_ms)
    }

    fn validate(&self, index: usize) -> Result<(), TraceError> {
        let bad = |what: &str, v: f64| TraceError::InvalidEntry {
            index,
            reason: format!("{what} must be finite and >= 0, got {v}"),
        };
        if !(self.send_ms.is_finite() && self.send_ms >= 0.0) {
            return Err(bad("send_ms", self.send_ms));
        }
        if let Some(a) = self.arrival_ms {
            if !(a.is_finite() && a >= 0.0) {
                return Err(bad("arrival_ms", a));
            }
        }
        Ok(())
    }

    /// Identity of the packet this copy belongs to (`-0.0` and `0.0` are the same time).
    fn packet_key(&self) -> (u64, u64) {
        (self.seq, (self.send_ms + 0.0).to_bits())
    }
}

/// A packet trace: one entry per arriving copy (a duplicated packet appears twice with the same
/// seq, a lost packet once with `arrival_ms: None`).
///
/// Simulated traces are sorted in send order (by seq, then arrival); traces read from JSON keep
/// the order of the file. JSON format: `[{"seq": n, "send_ms": t, "arrival_ms": t_or_null}, ...]`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Trace {
    entries: Vec<TraceEntry>,
}

/// Summary of a trace: loss, duplication, reordering and one-way delay statistics.
///
/// Counts are over packets, identified by `(seq, send_ms)`; delays are per arrived packet
/// using its earliest copy, in receiver time minus sender time. Serialises (e.g. to JSON) for
/// reports.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TraceStats {
    /// Distinct packets sent.
    pub packets: usize,
    /// Distinct packets of which at least one copy arrived.
    pub received: usize,
    /// Packets that never arrived.
    pub lost: usize,
    /// `lost / packets` (0 for an empty trace).
    pub loss_rate: f64,
    /// Extra copies beyond the first (a packet arriving three times counts 2).
    pub duplicates: usize,
    /// Packets whose first copy arrived after a packet sent later had arrived.
    pub reordered: usize,
    /// Mean one-way delay (ms), `None` if nothing arrived.
    pub mean_delay_ms: Option<f64>,
    /// 95th percentile one-way delay (ms, nearest rank), `None` if nothing arrived.
    pub p95_delay_ms: Option<f64>,
    /// Largest one-way delay (ms), `None` if nothing arrived.
    pub max_delay_ms: Option<f64>,
    /// Smallest one-way delay (ms), `None` if nothing arrived.
    pub min_delay_ms: Option<f64>,
}

impl Trace {
    /// A trace of the given entries, kept in the given order, after checking every time is
    /// finite and non-negative.
    pub fn new(entries: Vec<TraceEntry>) -> Result<Self, TraceError> {
        for (i, e) in entries.iter().enumerate() {
            e.validate(i)?;
        }
        Ok(Self { entries })
    }

    /// A trace built by the simulator, whose entries are valid by construction.
    pub(crate) fn from_valid(entries: Vec<TraceEntry>) -> Self {
        debug_assert!(entries
            .iter()
            .enumerate()
            .all(|(i, e)| e.validate(i).is_ok()));
        Self { entries }
    }

    /// The entries, in trace order.
    pub fn entries(&self) -> &[TraceEntry] {
        &self.entries
    }

    /// The entries, by value.
    pub fn into_entries(self) -> Vec<TraceEntry> {
        self.entries
    }

    /// Number of entries (packet copies and lost packets).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// `true` for a trace without entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The copies that arrived, sorted by arrival time (ties keep trace order): the packet
    /// stream a receiver sees.
    pub fn arrivals_in_order(&self) -> Vec<TraceEntry> {
        let mut v: Vec<TraceEntry> = self
            .entries
            .iter()
            .filter(|e| e.arrival_ms.is_some())
            .copied()
            .collect();
        v.sort_by(|a, b| a.arrival_ms.unwrap().total_cmp(&b.arrival_ms.unwrap()));
        v
    }

    /// One-way delay (ms) of each distinct packet that arrived, from its earliest copy, in
    /// order of the packet's first entry. Lost packets are absent.
    pub fn packet_delays(&self) -> Vec<f64> {
        let mut index: HashMap<(u64, u64), usize> = HashMap::new();
        let mut first: Vec<Option<f64>> = Vec::new();
        for e in &self.entries {
            let slot = *index.entry(e.packet_key()).or_insert_with(|| {
                first.push(None);
                first.len() - 1
            });
            if let Some(d) = e.delay_ms() {
                first[slot] = Some(first[slot].map_or(d, |f: f64| f.min(d)));
            }
        }
        first.into_iter().flatten().collect()
    }

    /// Loss, duplication, reordering and delay statistics of the trace.
    pub fn stats(&self) -> TraceStats {
        // Copies that arrived, per packet; 0 for a packet seen only as lost.
        let mut copies: HashMap<(u64, u64), usize> = HashMap::new();
        for e in &self.entries {
            *copies.entry(e.packet_key()).or_insert(0) += usize::from(e.arrival_ms.is_some());
        }
        let packets = copies.len();
        let received = copies.values().filter(|&&c| c > 0).count();
        let duplicates = copies.values().map(|&c| c.saturating_sub(1)).sum();
        let lost = packets - received;

        let mut seen = std::collections::HashSet::new();
        let mut max_send = f64::NEG_INFINITY;
        let mut reordered = 0;
        for e in self.arrivals_in_order() {
            if !seen.insert(e.packet_key()) {
                continue;
            }
            if e.send_ms < max_send {
                reordered += 1;
            }
            max_send = max_send.max(e.send_ms);
        }

        let mut delays = self.packet_delays();
        delays.sort_by(f64::total_cmp);
        let n = delays.len();
        let (mean, p95, max, min) = if n == 0 {
            (None, None, None, None)
        } else {
            let rank = ((0.95 * n as f64).ceil() as usize).clamp(1, n);
            (
                Some(delays.iter().sum::<f64>() / n as f64),
                Some(delays[rank - 1]),
                Some(delays[n - 1]),
                Some(delays[0]),
            )
        };
        TraceStats {
            packets,
            received,
            lost,
            loss_rate: if packets == 0 {
                0.0
            } else {
                lost as f64 / packets as f64
            },
            duplicates,
            reordered,
            mean_delay_ms: mean,
            p95_delay_ms: p95,
            max_delay_ms: max,
            min_delay_ms: min,
        }
    }

    /// Writes the trace as JSON, `[{"seq": n, "send_ms": t, "arrival_ms": t_or_null}, ...]`,
    /// one entry per line; numbers are printed so that reading them back is exact.
    pub fn to_json_writer<W: Write>(&self, mut w: W) -> Result<(), TraceError> {
        let num = |x: f64| serde_json::to_string(&x).expect("finite f64 serialises");
        w.write_all(b"[")?;
        for (i, e) in self.entries.iter().enumerate() {
            let sep = if i == 0 { "\n" } else { ",\n" };
            let arrival = e.arrival_ms.map_or_else(|| "null".to_string(), num);
            write!(
                w,
                "{sep}  {{\"seq\": {}, \"send_ms\": {}, \"arrival_ms\": {}}}",
                e.seq,
                num(e.send_ms),
                arrival
            )?;
        }
        w.write_all(if self.entries.is_empty() {
            b"]\n"
        } else {
            b"\n]\n"
        })?;
        w.flush()?;
        Ok(())
    }

    /// The trace as a JSON string, in the format of [`Trace::to_json_writer`].
    pub fn to_json_string(&self) -> String {
        let mut buf = Vec::new();
        self.to_json_writer(&mut buf)
            .expect("writing to a Vec cannot fail");
        String::from_utf8(buf).expect("JSON output is UTF-8")
    }

    /// Reads a trace from JSON (see [`Trace`] for the format); every field is required
    /// (`arrival_ms` may be `null`), unknown fields are refused, times must be finite and >= 0.
    pub fn from_json_reader<R: Read>(r: R) -> Result<Self, TraceError> {
        let entries: Vec<TraceEntry> = serde_json::from_reader(std::io::BufReader::new(r))?;
        Self::new(entries)
    }

    /// Reads a trace from a JSON string, as [`Trace::from_json_reader`].
    pub fn from_json_str(s: &str) -> Result<Self, TraceError> {
        let entries: Vec<TraceEntry> = serde_json::from_str(s)?;
        Self::new(entries)
    }
}
