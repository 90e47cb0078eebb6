//! The statistics of `wheelwatch bench` (pure): median, min and max of a sample, the ratio of
//! two samples' medians with a percentile-bootstrap confidence interval, and the verdict in
//! words.
//!
//! The bootstrap resamples each sample with replacement (independently: A and B are different
//! environments), takes the ratio of the resampled medians, and reads the interval off the
//! sorted ratios (linear interpolation between order statistics, as NumPy's default
//! percentile). The random numbers come from SplitMix64 with a fixed seed, so one set of
//! timings always gives the same interval; hand-written because the crate has no random-number
//! dependency and the bootstrap needs nothing beyond uniform indices.

/// Median, extremes and size of a sample.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Spread {
    /// The median (mean of the two middle values for an even count).
    pub median: f64,
    /// The smallest value.
    pub min: f64,
    /// The largest value.
    pub max: f64,
    /// How many values.
    pub n: usize,
}

/// Median, min and max of `xs`; `None` when empty. NaNs are not expected (timings).
pub(crate) fn spread(xs: &[f64]) -> Option<Spread> {
    let mut sorted = xs.to_vec();
    sorted.sort_by(f64::total_cmp);
    Some(Spread {
        median: median_sorted(&sorted)?,
        min: *sorted.first()?,
        max: *sorted.last()?,
        n: sorted.len(),
    })
}

/// The median of `xs`; `None` when empty.
pub(crate) fn median(xs: &[f64]) -> Option<f64> {
    let mut sorted = xs.to_vec();
    sorted.sort_by(f64::total_cmp);
    median_sorted(&sorted)
}

fn median_sorted(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    Some(if n % 2 == 1 {
        sorted[n / 2]
    } else {
        f64::midpoint(sorted[n / 2 - 1], sorted[n / 2])
    })
}

/// The `q`-quantile (0..=1) of sorted values, interpolating linearly between order statistics.
fn quantile_sorted(sorted: &[f64], q: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let pos = q.clamp(0.0, 1.0) * (n - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    let frac = pos - lo as f64;
    Some(sorted[lo] + (sorted[hi] - sorted[lo]) * frac)
}

/// SplitMix64: a tiny, well-known generator; deterministic for a seed.
#[derive(Clone, Debug)]
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator started at `seed`.
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A uniform index below `n` (`n > 0`), by Lemire's multiply-shift (bias below 2^-32 for
    /// any sample a benchmark has).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (((self.next_u64() >> 32) * n as u64) >> 32) as usize
    }
}

/// The seed `wheelwatch bench` uses unless told otherwise.
pub(crate) const DEFAULT_SEED: u64 = 0x005e_ed0f_b3c4;

/// How the bootstrap is run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Bootstrap {
    /// Resamples drawn.
    pub resamples: usize,
    /// Two-sided confidence level, e.g. 0.95.
    pub confidence: f64,
    /// The generator's seed.
    pub seed: u64,
}

impl Default for Bootstrap {
    fn default() -> Self {
        Self {
            resamples: 10_000,
            confidence: 0.95,
            seed: DEFAULT_SEED,
        }
    }
}

/// The ratio B/A of two samples' medians with its confidence interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct RatioEstimate {
    /// median(B) / median(A).
    pub ratio: f64,
    /// Lower end of the interval.
    pub ci_low: f64,
    /// Upper end of the interval.
    pub ci_high: f64,
    /// The interval's confidence level.
    pub confidence: f64,
}

/// The fewest values each sample needs for a comparison: with one value a bootstrap can only
/// repeat it, which says nothing about spread.
pub(crate) const MIN_SAMPLES: usize = 2;

/// median(b) / median(a) with a bootstrap interval; `None` when either sample has fewer than
/// [`MIN_SAMPLES`] values or a median of `a` that is not positive.
pub(crate) fn ratio_of_medians(a: &[f64], b: &[f64], how: Bootstrap) -> Option<RatioEstimate> {
    if a.len() < MIN_SAMPLES || b.len() < MIN_SAMPLES || how.resamples == 0 {
        return None;
    }
    let ma = median(a)?;
    let mb = median(b)?;
    if ma <= 0.0 || !ma.is_finite() || !mb.is_finite() {
        return None;
    }
    let mut rng = SplitMix64::new(how.seed);
    let mut ratios = Vec::with_capacity(how.resamples);
    let (mut ra, mut rb) = (vec![0.0; a.len()], vec![0.0; b.len()]);
    for _ in 0..how.resamples {
        for x in &mut ra {
            *x = a[rng.below(a.len())];
        }
        for x in &mut rb {
            *x = b[rng.below(b.len())];
        }
        let (Some(da), Some(db)) = (median(&ra), median(&rb)) else {
            continue;
        };
        if da > 0.0 {
            ratios.push(db / da);
        }
    }
    ratios.sort_by(f64::total_cmp);
    let tail = (1.0 - how.confidence) / 2.0;
    Some(RatioEstimate {
        ratio: mb / ma,
        ci_low: quantile_sorted(&ratios, tail)?,
        ci_high: quantile_sorted(&ratios, 1.0 - tail)?,
        confidence: how.confidence,
    })
}

/// What the runs show about B against A.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Verdict {
    /// B is slower: the whole interval is above 1.
    Slower(RatioEstimate),
    /// B is faster: the whole interval is below 1.
    Faster(RatioEstimate),
    /// The interval contains 1.
    NoDifference(RatioEstimate),
}

impl Verdict {
    /// The verdict for an estimate.
    pub(crate) fn of(estimate: RatioEstimate) -> Self {
        if estimate.ci_low > 1.0 {
            Self::Slower(estimate)
        } else if estimate.ci_high < 1.0 {
            Self::Faster(estimate)
        } else {
            Self::NoDifference(estimate)
        }
    }

    /// In words, with `b` naming the second environment: "the fallback is 8% slower (95% CI
    /// 5–11%)", "the fallback is 3% faster (95% CI 1–6%)", "no difference that the runs can
    /// show (ratio 1.02, 95% CI 0.97–1.08)".
    pub(crate) fn describe(&self, b: &str) -> String {
        self.in_words(&format!("the {b} is"), "slower", "faster", "")
    }

    /// The same for CPU time: "the fallback uses 7% more CPU time (95% CI 3–11%)", "… less …",
    /// "no difference in CPU time that the runs can show (ratio 0.99, 95% CI 0.95–1.04)".
    pub(crate) fn describe_cpu(&self, b: &str) -> String {
        self.in_words(
            &format!("the {b} uses"),
            "more CPU time",
            "less CPU time",
            " in CPU time",
        )
    }

    fn in_words(&self, subject: &str, more: &str, less: &str, of_what: &str) -> String {
        match *self {
            Self::Slower(e) => format!(
                "{subject} {} {more} ({} CI {}–{})",
                percent(e.ratio - 1.0),
                level(e.confidence),
                percent_bare(e.ci_low - 1.0),
                percent(e.ci_high - 1.0)
            ),
            Self::Faster(e) => format!(
                "{subject} {} {less} ({} CI {}–{})",
                percent(1.0 - e.ratio),
                level(e.confidence),
                percent_bare(1.0 - e.ci_high),
                percent(1.0 - e.ci_low)
            ),
            Self::NoDifference(e) => format!(
                "no difference{of_what} that the runs can show (ratio {:.2}, {} CI {:.2}–{:.2})",
                e.ratio,
                level(e.confidence),
                e.ci_low,
                e.ci_high
            ),
        }
    }

    /// `slower`, `faster` or `no_difference`.
    pub(crate) fn key(&self) -> &'static str {
        match self {
            Self::Slower(_) => "slower",
            Self::Faster(_) => "faster",
            Self::NoDifference(_) => "no_difference",
        }
    }
}

fn level(confidence: f64) -> String {
    format!("{}%", (confidence * 100.0).round())
}

/// `0.083` → `8`, `0.004` → `0.4`: whole percent, one decimal below 1%.
fn percent_bare(share: f64) -> String {
    let p = share * 100.0;
    if p.abs() < 0.95 {
        format!("{p:.1}")
    } else {
        format!("{p:.0}")
    }
}

fn percent(share: f64) -> String {
    format!("{}%", percent_bare(share))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_of_odd_and_even_samples() {
        assert_eq!(
            spread(&[3.0, 1.0, 2.0]),
            Some(Spread {
                median: 2.0,
                min: 1.0,
                max: 3.0,
                n: 3
            })
        );
        assert_eq!(spread(&[4.0, 1.0, 3.0, 2.0]).map(|s| s.median), Some(2.5));
        assert_eq!(spread(&[]), None);
        assert_eq!(median(&[7.0]), Some(7.0));
    }

    #[test]
    fn quantiles_interpolate_like_numpy() {
        let xs = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(quantile_sorted(&xs, 0.0), Some(1.0));
        assert_eq!(quantile_sorted(&xs, 0.5), Some(3.0));
        assert_eq!(quantile_sorted(&xs, 1.0), Some(5.0));
        // numpy.percentile([1, 2, 3, 4, 5], 10) == 1.4
        assert!((quantile_sorted(&xs, 0.1).unwrap() - 1.4).abs() < 1e-12);
    }

    #[test]
    fn splitmix_matches_the_reference_sequence() {
        // The reference implementation's first outputs for seed 0.
        let mut rng = SplitMix64::new(0);
        assert_eq!(rng.next_u64(), 0xe220_a839_7b1d_cdaf);
        assert_eq!(rng.next_u64(), 0x6e78_9e6a_a1b9_65f4);
        let mut rng = SplitMix64::new(1);
        assert!((0..1000).all(|_| rng.below(7) < 7));
    }

    #[test]
    fn identical_samples_have_ratio_one_and_a_point_interval() {
        let a = [1.0, 1.0, 1.0, 1.0];
        let e = ratio_of_medians(&a, &a, Bootstrap::default()).unwrap();
        assert_eq!((e.ratio, e.ci_low, e.ci_high), (1.0, 1.0, 1.0));
        assert!(matches!(Verdict::of(e), Verdict::NoDifference(_)));
    }

    #[test]
    fn a_clear_slowdown_is_named_with_its_interval() {
        let a = [1.00, 1.01, 0.99, 1.02, 0.98, 1.00, 1.01, 0.99, 1.00, 1.00];
        let b: Vec<f64> = a.iter().map(|x| x * 1.08).collect();
        let e = ratio_of_medians(&a, &b, Bootstrap::default()).unwrap();
        assert!((e.ratio - 1.08).abs() < 1e-9, "{e:?}");
        assert!(
            e.ci_low > 1.0 && e.ci_low <= e.ratio && e.ratio <= e.ci_high,
            "{e:?}"
        );
        let v = Verdict::of(e);
        assert!(matches!(v, Verdict::Slower(_)));
        let text = v.describe("fallback");
        assert!(
            text.starts_with("the fallback is 8% slower (95% CI "),
            "{text}"
        );
        // The same estimate the other way round is "faster".
        let e = ratio_of_medians(&b, &a, Bootstrap::default()).unwrap();
        let text = Verdict::of(e).describe("fallback");
        assert!(
            text.starts_with("the fallback is 7% faster (95% CI "),
            "{text}"
        );
    }

    #[test]
    fn the_interval_is_deterministic_for_a_seed_and_changes_with_it() {
        let a = [0.93, 1.11, 1.02, 1.31, 0.84, 1.2, 0.97, 1.07, 1.15, 0.88];
        let b = [1.01, 1.43, 0.91, 1.22, 1.12, 1.34, 0.86, 1.05, 0.99, 1.27];
        // Few resamples: the interval's ends then depend visibly on the draws.
        let how = Bootstrap {
            resamples: 199,
            ..Bootstrap::default()
        };
        let one = ratio_of_medians(&a, &b, how).unwrap();
        assert_eq!(one, ratio_of_medians(&a, &b, how).unwrap());
        let other = ratio_of_medians(
            &a,
            &b,
            Bootstrap {
                seed: how.seed + 1,
                ..how
            },
        )
        .unwrap();
        assert!((one.ratio - other.ratio).abs() < f64::EPSILON);
        assert_ne!((one.ci_low, one.ci_high), (other.ci_low, other.ci_high));
        // Overlapping samples: no difference that can be shown.
        assert!(one.ci_low < 1.0 && 1.0 < one.ci_high, "{one:?}");
        assert_eq!(
            Verdict::of(one).describe("fallback"),
            format!(
                "no difference that the runs can show (ratio {:.2}, 95% CI {:.2}–{:.2})",
                one.ratio, one.ci_low, one.ci_high
            )
        );
    }

    #[test]
    fn too_few_runs_or_a_zero_median_give_no_estimate() {
        assert_eq!(
            ratio_of_medians(&[1.0], &[1.0, 2.0], Bootstrap::default()),
            None
        );
        assert_eq!(
            ratio_of_medians(&[0.0, 0.0], &[1.0, 2.0], Bootstrap::default()),
            None
        );
    }

    #[test]
    fn cpu_verdicts() {
        let e = |ratio, ci_low, ci_high| RatioEstimate {
            ratio,
            ci_low,
            ci_high,
            confidence: 0.95,
        };
        assert_eq!(
            Verdict::of(e(1.07, 1.03, 1.11)).describe_cpu("fallback"),
            "the fallback uses 7% more CPU time (95% CI 3–11%)"
        );
        assert_eq!(
            Verdict::of(e(0.9, 0.85, 0.96)).describe_cpu("fallback"),
            "the fallback uses 10% less CPU time (95% CI 4–15%)"
        );
        assert_eq!(
            Verdict::of(e(0.99, 0.95, 1.04)).describe_cpu("fallback"),
            "no difference in CPU time that the runs can show (ratio 0.99, 95% CI 0.95–1.04)"
        );
        assert_eq!(Verdict::of(e(0.99, 0.95, 1.04)).key(), "no_difference");
    }

    #[test]
    fn small_differences_keep_a_decimal() {
        let e = RatioEstimate {
            ratio: 1.004,
            ci_low: 1.001,
            ci_high: 1.2,
            confidence: 0.95,
        };
        assert_eq!(
            Verdict::of(e).describe("fallback"),
            "the fallback is 0.4% slower (95% CI 0.1–20%)"
        );
    }
}
