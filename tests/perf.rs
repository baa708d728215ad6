//! The performance-motivated code paths give the same results as the plain ones
//! (timings themselves live in bench/run.sh and benches/, never here).

use chrono::{TimeZone, Utc};
use rapport::engine::{parse_calendar, parse_calendar_owned, ExpandOptions};
use rapport::tz::Zone;

use crate::common::data_dir;

/// Parsing from an owned buffer (no copy of the feed) lists exactly what parsing
/// from a borrowed one lists, with the same warnings, for every test feed.
#[test]
fn owned_parse_equals_borrowed_parse() {
    let opts = ExpandOptions {
        floating: Zone::Utc,
        me_emails: vec!["me@example.com".to_string()],
    };
    let from = Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap();
    let to = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
    let mut files = 0;
    let mut occurrences = 0;
    for entry in std::fs::read_dir(data_dir().join("ics")).expect("tests/data/ics") {
        let path = entry.expect("dir entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("ics") {
            continue;
        }
        let bytes = std::fs::read(&path).expect("read test feed");
        let borrowed = parse_calendar("t", &bytes);
        let owned = parse_calendar_owned("t", bytes);
        assert_eq!(owned.warnings, borrowed.warnings, "{}", path.display());
        let a = borrowed.occurrences(from, to, &opts);
        let b = owned.occurrences(from, to, &opts);
        assert_eq!(a, b, "{}", path.display());
        files += 1;
        occurrences += a.len();
    }
    assert!(
        files >= 5 && occurrences > 0,
        "{files} feeds, {occurrences} occurrences"
    );
}
