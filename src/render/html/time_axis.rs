//! The time chart's axes: round steps for the rate axis, clock-friendly
//! steps and labels for the time axis.

use crate::render::format_timestamp;

/// A second in nanoseconds.
pub(super) const SECOND: i64 = 1_000_000_000;

/// A round step for about `ticks` intervals up to `max` (1, 2, 2.5, 5 ×
/// a power of ten).
pub(super) fn nice_step(max: f64, ticks: f64) -> f64 {
    let raw = (max / ticks).max(f64::MIN_POSITIVE);
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw * 0.999_999)
        .unwrap_or(10.0 * magnitude);
    step.max(f64::MIN_POSITIVE)
}

/// Candidate time-axis steps in nanoseconds: 1-2-5 below a second, then
/// clock-friendly steps, then weeks.
fn time_steps() -> Vec<i64> {
    let mut steps = Vec::new();
    let mut decade = 1i64;
    while decade < SECOND {
        steps.extend([decade, 2 * decade, 5 * decade]);
        decade *= 10;
    }
    for s in [
        1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200,
        86_400, 172_800, 604_800,
    ] {
        steps.push(s * SECOND);
    }
    steps
}

/// Where the label of a tick at this step ends in an RFC 3339 stamp (it
/// starts at the hour, byte 11): minutes, seconds, milliseconds,
/// microseconds or nanoseconds, as fine as the step. `None` for steps of
/// days, which are labelled by their date.
fn label_end(step: i64) -> Option<usize> {
    if step >= 86_400 * SECOND {
        None
    } else if step >= 60 * SECOND {
        Some(16)
    } else if step >= SECOND {
        Some(19)
    } else if step >= 1_000_000 {
        Some(23)
    } else if step >= 1_000 {
        Some(26)
    } else {
        Some(29)
    }
}

/// The label of a tick at `ns` for this step, and its date.
pub(super) fn time_label(ns: i64, step: i64) -> (String, String) {
    let stamp = format_timestamp(ns);
    let date = stamp.get(..10).unwrap_or("").to_string();
    match label_end(step) {
        None => (date.clone(), date),
        Some(end) => (stamp.get(11..end).unwrap_or("").to_string(), date),
    }
}

/// Characters of a time label at this step.
pub(super) fn label_chars(step: i64) -> usize {
    label_end(step).map_or(10, |end| end - 11)
}

/// Picks the time-axis step for `span` nanoseconds over `width` units.
pub(super) fn pick_time_step(span: i64, width: f64) -> i64 {
    let steps = time_steps();
    for &step in &steps {
        let max_ticks = (width / (label_chars(step) as f64 * 6.6 + 28.0))
            .floor()
            .clamp(2.0, 10.0);
        if (span as f64 / step as f64) <= max_ticks {
            return step;
        }
    }
    // Very long spans: whole multiples of a week.
    let week = 604_800 * SECOND;
    let max_ticks = (width / (10.0 * 6.6 + 28.0)).floor().max(2.0);
    let weeks = (span as f64 / week as f64 / max_ticks).ceil().max(1.0);
    (weeks as i64).saturating_mul(week)
}

/// A tick of the time axis.
pub(super) struct TimeTick {
    /// Where it is, in nanoseconds since the epoch.
    pub ns: i64,
    /// Its label.
    pub label: String,
    /// The date under the label, on the first tick of each day (unless
    /// the label is the date).
    pub date: Option<String>,
}

/// The ticks from `t0` to `t1` at `step`: on whole multiples of the step.
pub(super) fn time_ticks(t0: i64, t1: i64, step: i64) -> Vec<TimeTick> {
    let mut ticks = Vec::new();
    let mut tick = t0.div_euclid(step).saturating_add(1).saturating_mul(step);
    if t0.rem_euclid(step) == 0 {
        tick = t0;
    }
    let mut previous_date = String::new();
    while tick <= t1 {
        let (label, date) = time_label(tick, step);
        let new_day = date != previous_date && label != date;
        ticks.push(TimeTick {
            ns: tick,
            date: new_day.then(|| date.clone()),
            label,
        });
        previous_date = date;
        match tick.checked_add(step) {
            Some(next) => tick = next,
            None => break,
        }
    }
    ticks
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_764_137_820_000_000_000;

    #[test]
    fn time_steps_and_labels() {
        assert_eq!(pick_time_step(60 * SECOND, 850.0), 10 * SECOND);
        assert_eq!(pick_time_step(3600 * SECOND, 850.0), 600 * SECOND);
        assert_eq!(pick_time_step(SECOND / 2, 850.0), 100_000_000);
        assert_eq!(time_label(T0, 10 * SECOND).0, "06:17:00");
        assert_eq!(time_label(T0, 600 * SECOND).0, "06:17");
        assert_eq!(time_label(T0, 86_400 * SECOND).0, "2025-11-26");
        assert_eq!(nice_step(9000.0, 4.0), 2500.0);
        assert_eq!(nice_step(1.0, 4.0), 0.25);
    }

    #[test]
    fn ticks_name_the_date_once_a_day() {
        let ticks = time_ticks(T0 + 5 * SECOND, T0 + 60 * SECOND, 10 * SECOND);
        let labels: Vec<&str> = ticks.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "06:17:10", "06:17:20", "06:17:30", "06:17:40", "06:17:50", "06:18:00"
            ]
        );
        assert_eq!(ticks[0].date.as_deref(), Some("2025-11-26"));
        assert!(ticks[1..].iter().all(|t| t.date.is_none()));
        // Steps of days: the label is the date, said once.
        let days = time_ticks(T0, T0 + 3 * 86_400 * SECOND, 86_400 * SECOND);
        assert!(days.iter().all(|t| t.date.is_none()));
    }
}
