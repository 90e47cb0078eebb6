//! The automatic actions' policy, pure: counts consecutive *successful* assessments with an
//! unhealthy (or healthy) primary and says when `--auto-fallback` (or `--auto-promote`) should
//! act. An assessment that failed (an outage) counts nothing and resets nothing: an outage is
//! never a reason to act, and never interrupts a streak.

use crate::settings::PolicySettings;

/// What one run observed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Observation {
    /// The assessment failed: no verdict.
    Outage,
    /// A verdict.
    Assessed {
        /// The primary is healthy.
        primary_healthy: bool,
        /// A fallback is healthy.
        fallback_available: bool,
    },
}

/// What to do after a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Nothing.
    Nothing,
    /// Switch to the first healthy fallback.
    Fallback,
    /// Return to the primary.
    Promote,
}

/// The counters.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Policy {
    settings: PolicySettings,
    unhealthy: u32,
    healthy: u32,
}

impl Policy {
    /// A policy with these settings (both off: always [`Decision::Nothing`]).
    pub(crate) fn new(settings: PolicySettings) -> Self {
        Self {
            settings,
            unhealthy: 0,
            healthy: 0,
        }
    }

    /// Consecutive successful runs with an unhealthy primary so far.
    #[cfg(test)]
    pub(crate) fn unhealthy_streak(&self) -> u32 {
        self.unhealthy
    }

    /// Consecutive successful runs with a healthy primary so far.
    #[cfg(test)]
    pub(crate) fn healthy_streak(&self) -> u32 {
        self.healthy
    }

    /// Counts `observation`; `on_fallback`: the venv runs a fallback now.
    pub(crate) fn observe(&mut self, observation: Observation, on_fallback: bool) -> Decision {
        let Observation::Assessed {
            primary_healthy,
            fallback_available,
        } = observation
        else {
            return Decision::Nothing;
        };
        if primary_healthy {
            self.healthy = self.healthy.saturating_add(1);
            self.unhealthy = 0;
            if on_fallback
                && self
                    .settings
                    .promote_after
                    .is_some_and(|n| self.healthy >= n)
            {
                return Decision::Promote;
            }
        } else {
            self.unhealthy = self.unhealthy.saturating_add(1);
            self.healthy = 0;
            if !on_fallback
                && fallback_available
                && self
                    .settings
                    .fallback_after
                    .is_some_and(|n| self.unhealthy >= n)
            {
                return Decision::Fallback;
            }
        }
        Decision::Nothing
    }

    /// Starts counting afresh (after an action was taken).
    pub(crate) fn reset(&mut self) {
        self.unhealthy = 0;
        self.healthy = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BAD: Observation = Observation::Assessed {
        primary_healthy: false,
        fallback_available: true,
    };
    const GOOD: Observation = Observation::Assessed {
        primary_healthy: true,
        fallback_available: true,
    };

    fn both(n: u32) -> Policy {
        Policy::new(PolicySettings {
            fallback_after: Some(n),
            promote_after: Some(n),
        })
    }

    #[test]
    fn off_by_default() {
        let mut p = Policy::new(PolicySettings::default());
        for _ in 0..10 {
            assert_eq!(p.observe(BAD, false), Decision::Nothing);
        }
        for _ in 0..10 {
            assert_eq!(p.observe(GOOD, true), Decision::Nothing);
        }
    }

    #[test]
    fn outages_count_nothing_and_reset_nothing() {
        let mut p = both(2);
        assert_eq!(p.observe(BAD, false), Decision::Nothing);
        assert_eq!(p.observe(Observation::Outage, false), Decision::Nothing);
        assert_eq!(p.observe(Observation::Outage, false), Decision::Nothing);
        assert_eq!(p.unhealthy_streak(), 1);
        assert_eq!(p.observe(BAD, false), Decision::Fallback);
    }

    #[test]
    fn a_healthy_run_breaks_the_streak() {
        let mut p = both(2);
        assert_eq!(p.observe(BAD, false), Decision::Nothing);
        assert_eq!(p.observe(GOOD, false), Decision::Nothing);
        assert_eq!(p.observe(BAD, false), Decision::Nothing);
        assert_eq!(p.observe(BAD, false), Decision::Fallback);
    }

    #[test]
    fn no_fallback_without_a_healthy_one_or_when_already_on_it() {
        let mut p = both(1);
        let none = Observation::Assessed {
            primary_healthy: false,
            fallback_available: false,
        };
        assert_eq!(p.observe(none, false), Decision::Nothing);
        assert_eq!(p.observe(BAD, true), Decision::Nothing);
        assert_eq!(p.observe(GOOD, false), Decision::Nothing);
        assert_eq!(p.observe(GOOD, true), Decision::Promote);
        p.reset();
        assert_eq!(p.healthy_streak(), 0);
    }
}
