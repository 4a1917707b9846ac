//! Deterministic pseudo-random numbers: SplitMix64 for seeding, xoshiro256** for draws.

pub use voxline_core::SplitMix64;

/// Deterministic random source of the simulator: xoshiro256** (Blackman, Vigna 2018) seeded
/// from one `u64` via SplitMix64, with the continuous draws the impairment models need.
///
/// The sequence for a given seed is fixed forever (tests and stored traces rely on it).
#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// A generator whose state is the first four SplitMix64 outputs for `seed`.
    pub fn new(seed: u64) -> Self {
        let mut sm = SplitMix64::new(seed);
        let s = [sm.next_u64(), sm.next_u64(), sm.next_u64(), sm.next_u64()];
        Self::from_state(s)
    }

    /// A generator with the raw xoshiro256** state `s` (for reference vectors). An all-zero
    /// state, which would only ever produce zeros, is replaced by the state of `Rng::new(0)`.
    pub fn from_state(s: [u64; 4]) -> Self {
        if s == [0; 4] {
            return Self::new(0);
        }
        Self { s }
    }

    /// An independent generator for sub-stream `stream` of `seed`, so each impairment model
    /// draws from its own sequence and enabling one model does not shift another's draws.
    pub fn stream(seed: u64, stream: u64) -> Self {
        let mut sm = SplitMix64::new(seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03));
        // Mix once more so nearby (seed, stream) pairs land far apart.
        Self::new(sm.next_u64() ^ stream)
    }

    /// The next 64 pseudo-random bits.
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform draw in `[0, 1)` with 53 random bits.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform draw in `(0, 1]`: safe to take the logarithm or a negative power of.
    pub fn uniform_open0(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform draw in `[lo, hi)` (returns `lo` when `hi <= lo`).
    pub fn uniform_range(&mut self, lo: f64, hi: f64) -> f64 {
        let u = self.uniform();
        if hi <= lo {
            lo
        } else {
            lo + (hi - lo) * u
        }
    }

    /// `true` with probability `p` (always one draw, so the sequence does not depend on `p`).
    pub fn bernoulli(&mut self, p: f64) -> bool {
        self.uniform() < p
    }

    /// Standard normal draw N(0, 1) by the Box-Muller transform (two uniforms per draw).
    pub fn gaussian(&mut self) -> f64 {
        let u1 = self.uniform_open0();
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Exponential draw with the given mean (inverse-CDF method); models Poisson event gaps.
    pub fn exponential(&mut self, mean: f64) -> f64 {
        -mean * self.uniform_open0().ln()
    }

    /// Pareto (type I) draw with scale `x_m > 0` (the minimum) and shape `alpha > 0`: heavy
    /// tailed, `P(X > x) = (x_m / x)^alpha`; mean `alpha x_m / (alpha - 1)` for `alpha > 1`.
    pub fn pareto(&mut self, x_m: f64, alpha: f64) -> f64 {
        x_m * self.uniform_open0().powf(-1.0 / alpha)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_reference_vector() {
        // Published first outputs of splitmix64.c for seed 1234567.
        let mut sm = SplitMix64::new(1_234_567);
        let want = [
            6_457_827_717_110_365_317u64,
            3_203_168_211_198_807_973,
            9_817_491_932_198_370_423,
            4_593_380_528_125_082_431,
            16_408_922_859_458_223_821,
        ];
        for w in want {
            assert_eq!(sm.next_u64(), w);
        }
    }

    #[test]
    fn xoshiro256starstar_reference_vector() {
        // Reference implementation xoshiro256starstar.c with state {1, 2, 3, 4}.
        let mut r = Rng::from_state([1, 2, 3, 4]);
        let want = [
            11_520u64,
            0,
            1_509_978_240,
            1_215_971_899_390_074_240,
            1_216_172_134_540_287_360,
            607_988_272_756_665_600,
            16_172_922_978_634_559_625,
            8_476_171_486_693_032_832,
            10_595_114_339_597_558_777,
            2_904_607_092_377_533_576,
        ];
        for w in want {
            assert_eq!(r.next_u64(), w);
        }
    }

    fn mean_var(xs: &[f64]) -> (f64, f64) {
        let n = xs.len() as f64;
        let m = xs.iter().sum::<f64>() / n;
        let v = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n;
        (m, v)
    }

    #[test]
    fn uniform_in_range_and_unbiased() {
        let mut r = Rng::new(7);
        let xs: Vec<f64> = (0..200_000).map(|_| r.uniform()).collect();
        assert!(xs.iter().all(|&x| (0.0..1.0).contains(&x)));
        let (m, v) = mean_var(&xs);
        assert!((m - 0.5).abs() < 0.005, "mean {m}");
        assert!((v - 1.0 / 12.0).abs() < 0.002, "var {v}");
        let ys: Vec<f64> = (0..10_000).map(|_| r.uniform_open0()).collect();
        assert!(ys.iter().all(|&y| y > 0.0 && y <= 1.0));
    }

    #[test]
    fn gaussian_moments() {
        let mut r = Rng::new(11);
        let xs: Vec<f64> = (0..200_000).map(|_| r.gaussian()).collect();
        let (m, v) = mean_var(&xs);
        assert!(m.abs() < 0.01, "mean {m}");
        assert!((v - 1.0).abs() < 0.02, "var {v}");
        let within_1sd = xs.iter().filter(|x| x.abs() < 1.0).count() as f64 / xs.len() as f64;
        assert!((within_1sd - 0.6827).abs() < 0.005, "{within_1sd}");
    }

    #[test]
    fn exponential_and_pareto_moments() {
        let mut r = Rng::new(13);
        let xs: Vec<f64> = (0..200_000).map(|_| r.exponential(5.0)).collect();
        let (m, v) = mean_var(&xs);
        assert!((m - 5.0).abs() < 0.1, "mean {m}");
        assert!((v - 25.0).abs() < 1.5, "var {v}");
        // Pareto(x_m = 2, alpha = 3): mean 3, P(X > 4) = 1/8.
        let ps: Vec<f64> = (0..200_000).map(|_| r.pareto(2.0, 3.0)).collect();
        assert!(ps.iter().all(|&p| p >= 2.0));
        let (m, _) = mean_var(&ps);
        assert!((m - 3.0).abs() < 0.05, "mean {m}");
        let tail = ps.iter().filter(|&&p| p > 4.0).count() as f64 / ps.len() as f64;
        assert!((tail - 0.125).abs() < 0.005, "tail {tail}");
    }

    #[test]
    fn streams_differ() {
        let a: Vec<u64> = {
            let mut r = Rng::stream(1, 0);
            (0..4).map(|_| r.next_u64()).collect()
        };
        let b: Vec<u64> = {
            let mut r = Rng::stream(1, 1);
            (0..4).map(|_| r.next_u64()).collect()
        };
        assert_ne!(a, b);
    }
}
