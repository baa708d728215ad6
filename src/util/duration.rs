//! Durations as the user writes them: `90s`, `15m`, `1h30m`, `2d`, `1w`.

use std::time::Duration;

/// Parses a duration such as `90s`, `15m`, `1h30m`, `2d` or `1w` (parts in any
/// order, spaces allowed between them). A bare number is refused: the unit
/// would be a guess.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    const ACCEPTED: &str = "write a number with a unit: \"90s\", \"15m\", \"1h30m\", \"2d\"";
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.is_empty() {
        return Err(format!("empty duration; {ACCEPTED}"));
    }
    let mut total: u64 = 0;
    let mut digits = String::new();
    for c in compact.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit: u64 = match c.to_ascii_lowercase() {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 7 * 86_400,
            _ => {
                return Err(format!(
                    "`{text}` is not a duration (unknown unit `{c}`); {ACCEPTED}"
                ))
            }
        };
        if digits.is_empty() {
            return Err(format!(
                "`{text}` is not a duration (a unit without a number); {ACCEPTED}"
            ));
        }
        let n: u64 = digits
            .parse()
            .map_err(|_| format!("`{text}` is too long a duration; {ACCEPTED}"))?;
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .filter(|v| *v <= 366 * 86_400)
            .ok_or_else(|| format!("`{text}` is longer than a year; {ACCEPTED}"))?;
        digits.clear();
    }
    if !digits.is_empty() {
        return Err(format!(
            "`{text}` has no unit; {ACCEPTED} (e.g. \"{digits}m\" for minutes)"
        ));
    }
    Ok(Duration::from_secs(total))
}

/// The inverse of [`parse_duration`] (`5400s` -> `1h30m`; zero -> `0s`).
pub fn format_duration(d: Duration) -> String {
    let mut secs = d.as_secs();
    if secs == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    for (unit, label) in [(86_400, 'd'), (3600, 'h'), (60, 'm'), (1, 's')] {
        if secs >= unit {
            out.push_str(&format!("{}{label}", secs / unit));
            secs %= unit;
        }
    }
    out
}
