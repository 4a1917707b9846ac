//! Statistics in the vocabulary of W3C webrtc-stats (RTCInboundRtpStreamStats) and NetEq.

/// Counters and delay figures of a [`JitterBuffer`](crate::JitterBuffer), cumulative since
/// construction unless stated otherwise.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct JitterStats {
    /// Packets accepted (first copies, including ones later discarded on overflow).
    pub packets_received: u64,
    /// Packets never received: expected (from the sequence-number range) minus received.
    pub packets_lost: i64,
    /// Packets that arrived after their audio had been played or concealed; dropped.
    pub packets_late: u64,
    /// Packets dropped for other reasons: buffer overflow, resynchronisation flushes.
    pub packets_discarded: u64,
    /// Second and later copies of a packet; dropped.
    pub packets_duplicated: u64,
    /// Packets that were malformed or of an unexpected type (refused by `insert_rtp`).
    pub packets_invalid: u64,
    /// Samples played from received audio packets (after time-stretching).
    pub samples_played: u64,
    /// Samples produced by concealment (webrtc-stats `concealedSamples`).
    pub concealed_samples: u64,
    /// Concealed samples that covered audio which never arrived (network loss).
    pub concealed_lost_samples: u64,
    /// Concealed samples spent waiting for a packet that was late: the buffer had run dry
    /// (NetEq's delayed-packet outage). Counted in `concealed_samples` too.
    pub late_outage_samples: u64,
    /// Separate concealment events (webrtc-stats `concealmentEvents`).
    pub concealment_events: u64,
    /// Samples of comfort noise played during DTX.
    pub comfort_noise_samples: u64,
    /// Samples of silence played before the first packet was due.
    pub silence_samples: u64,
    /// Samples added by slowing down (webrtc-stats `insertedSamplesForDeceleration`).
    pub inserted_samples_for_deceleration: u64,
    /// Samples removed by speeding up (webrtc-stats `removedSamplesForAcceleration`).
    pub removed_samples_for_acceleration: u64,
    /// Times the buffer resynchronised (SSRC change or timestamp jump).
    pub resyncs: u64,
    /// Current playout offset: receiver time minus media time of the sample being played,
    /// relative to the first packet's transit time, in ms.
    pub current_delay_ms: f64,
    /// The offset the buffer is steering towards, same reference, in ms.
    pub target_delay_ms: f64,
    /// Estimated clock skew between sender and receiver, in ppm (positive: the receiver's
    /// clock runs fast); 0 until a drift is significant.
    pub estimated_skew_ppm: f64,
    /// Audio buffered ahead of the playout point right now, in ms.
    pub buffered_ms: f64,
    /// Mean time from a packet's arrival to the playout of its first sample, in ms
    /// (webrtc-stats `jitterBufferDelay / jitterBufferEmittedCount`).
    pub mean_buffering_delay_ms: f64,
    /// 95th percentile of that time, in ms (1 ms resolution).
    pub p95_buffering_delay_ms: f64,
    /// Packets whose playout was recorded (the denominators of the two figures above).
    pub packets_played: u64,
}

/// Histogram of arrival-to-playout times with 1 ms bins, for the mean and 95th percentile.
#[derive(Debug, Clone)]
pub(crate) struct DelayHistogram {
    bins: Vec<u64>,
    sum_ms: f64,
    count: u64,
}

impl DelayHistogram {
    pub(crate) fn new(max_ms: usize) -> Self {
        Self {
            bins: vec![0; max_ms + 1],
            sum_ms: 0.0,
            count: 0,
        }
    }

    pub(crate) fn add(&mut self, ms: f64) {
        let ms = ms.max(0.0);
        let last = self.bins.len() - 1;
        self.bins[(ms.round() as usize).min(last)] += 1;
        self.sum_ms += ms;
        self.count += 1;
    }

    pub(crate) fn count(&self) -> u64 {
        self.count
    }

    pub(crate) fn mean(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.sum_ms / self.count as f64
        }
    }

    pub(crate) fn percentile(&self, p: f64) -> f64 {
        if self.count == 0 {
            return 0.0;
        }
        let rank = ((p * self.count as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (ms, &n) in self.bins.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return ms as f64;
            }
        }
        (self.bins.len() - 1) as f64
    }
}
