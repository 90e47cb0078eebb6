//! When the next run starts: every interval with ±10% jitter (so a fleet of watchers started
//! together does not hit the index together), and after a failed assessment a retry with
//! exponential backoff (30 s, 1 min, 2 min, … never longer than the interval). Pure apart from
//! the seed of its small random number generator.

use std::time::Duration;

/// The first retry after a failed assessment waits this long (capped by the interval).
const FIRST_RETRY: Duration = Duration::from_secs(30);

/// Decides the pause before each run.
#[derive(Debug)]
pub(crate) struct Schedule {
    interval: Duration,
    rng: u64,
}

impl Schedule {
    /// A schedule for `interval`, jitter seeded by `seed` (any value; 0 is replaced).
    pub(crate) fn new(interval: Duration, seed: u64) -> Self {
        Self {
            interval,
            rng: seed | 1,
        }
    }

    /// A value in [0, 1) (xorshift: statistical quality is irrelevant for jitter).
    fn unit(&mut self) -> f64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        (self.rng >> 11) as f64 / (1u64 << 53) as f64
    }

    /// The pause after a run; `failures` is how many assessments in a row have failed (0 after
    /// a successful one).
    pub(crate) fn pause(&mut self, failures: u32) -> Duration {
        let base = if failures == 0 {
            self.interval
        } else {
            let factor = 2u32.saturating_pow(failures.saturating_sub(1).min(16));
            FIRST_RETRY.saturating_mul(factor).min(self.interval)
        };
        // ±10%.
        let jitter = (self.unit() * 2.0 - 1.0) * 0.1;
        base.mul_f64(1.0 + jitter)
    }
}

/// When a systemd timer and a crontab line fire for `interval`: (systemd `OnCalendar=`, cron
/// schedule, whether that is exactly the interval). Intervals that neither can express evenly
/// are rounded to the nearest whole minutes, hours or days that divide the next unit.
pub(crate) fn calendar(interval: Duration) -> (String, String, bool) {
    let secs = interval.as_secs().max(60);
    let minutes = secs.div_ceil(60);
    if minutes < 60 {
        let m = [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30]
            .into_iter()
            .rev()
            .find(|m| *m <= minutes)
            .unwrap_or(1);
        return (
            format!("*-*-* *:00/{m}:00"),
            format!("*/{m} * * * *"),
            m * 60 == interval.as_secs(),
        );
    }
    let hours = minutes.div_ceil(60);
    if hours < 24 {
        let h = [1, 2, 3, 4, 6, 8, 12]
            .into_iter()
            .rev()
            .find(|h| *h <= hours)
            .unwrap_or(1);
        let cron = if h == 1 {
            "0 * * * *".to_string()
        } else {
            format!("0 */{h} * * *")
        };
        return (
            format!("*-*-* 00/{h}:00:00"),
            cron,
            h * 3600 == interval.as_secs(),
        );
    }
    let days = hours.div_ceil(24);
    (
        if days == 1 {
            "*-*-* 00:00:00".to_string()
        } else {
            format!("*-*-01/{days} 00:00:00")
        },
        if days == 1 {
            "0 0 * * *".to_string()
        } else {
            format!("0 0 */{days} * *")
        },
        days * 86_400 == interval.as_secs(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendars() {
        let c = |s| calendar(Duration::from_secs(s));
        assert_eq!(
            c(3600),
            ("*-*-* 00/1:00:00".into(), "0 * * * *".into(), true)
        );
        assert_eq!(
            c(900),
            ("*-*-* *:00/15:00".into(), "*/15 * * * *".into(), true)
        );
        assert_eq!(
            c(6 * 3600),
            ("*-*-* 00/6:00:00".into(), "0 */6 * * *".into(), true)
        );
        assert_eq!(
            c(86_400),
            ("*-*-* 00:00:00".into(), "0 0 * * *".into(), true)
        );
        assert_eq!(
            c(7 * 60),
            ("*-*-* *:00/6:00".into(), "*/6 * * * *".into(), false)
        );
    }

    #[test]
    fn jitter_stays_within_ten_percent() {
        let mut s = Schedule::new(Duration::from_hours(1), 42);
        let pauses: Vec<Duration> = (0..1000).map(|_| s.pause(0)).collect();
        assert!(pauses.iter().all(|p| (3240..=3960).contains(&p.as_secs())));
        let spread =
            pauses.iter().max().unwrap().as_secs() - pauses.iter().min().unwrap().as_secs();
        assert!(spread > 500, "jitter too narrow: {spread}s");
    }

    #[test]
    fn failures_back_off_up_to_the_interval() {
        let mut s = Schedule::new(Duration::from_hours(1), 7);
        let around = |d: Duration, secs: u64| {
            let s = d.as_secs_f64();
            s >= secs as f64 * 0.9 && s <= secs as f64 * 1.1
        };
        assert!(around(s.pause(1), 30));
        assert!(around(s.pause(2), 60));
        assert!(around(s.pause(3), 120));
        assert!(around(s.pause(10), 3600));
        assert!(around(s.pause(1000), 3600));
        let mut short = Schedule::new(Duration::from_millis(200), 7);
        assert!(short.pause(1) <= Duration::from_millis(220));
    }
}
