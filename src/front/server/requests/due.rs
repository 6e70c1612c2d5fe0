//! Due dates of requests: a number of working days after the day a request
//! was sent, in France.
//!
//! A working day is a Monday to Friday that is not one of the eleven French
//! public holidays (code du travail, art. L3133-1): 1 January, Easter Monday,
//! 1 May, 8 May, Ascension Thursday, Whit Monday, 14 July, 15 August,
//! 1 November, 11 November, 25 December. Easter is computed with the
//! anonymous Gregorian algorithm (Meeus/Jones/Butcher). Alsace-Moselle's two
//! extra days (Good Friday, 26 December) are not counted.

use time::{Date, Duration, Month, Weekday};

/// Easter Sunday of `year` (Gregorian calendar).
pub fn easter(year: i32) -> Option<Date> {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
    Date::from_calendar_date(year, month, u8::try_from(day).ok()?).ok()
}

/// Whether `date` is a French public holiday.
pub fn is_holiday(date: Date) -> bool {
    let fixed = matches!(
        (date.month(), date.day()),
        (Month::January, 1)
            | (Month::May, 1)
            | (Month::May, 8)
            | (Month::July, 14)
            | (Month::August, 15)
            | (Month::November, 1)
            | (Month::November, 11)
            | (Month::December, 25)
    );
    if fixed {
        return true;
    }
    let Some(easter) = easter(date.year()) else {
        return false;
    };
    [1, 39, 50]
        .iter()
        .any(|days| easter + Duration::days(*days) == date)
}

/// Whether `date` is a working day (Monday to Friday, not a public holiday).
pub fn is_working_day(date: Date) -> bool {
    !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday) && !is_holiday(date)
}

/// The day `days` working days after `from` (`from` itself never counts: a request sent on
/// a Friday with 5 days is due the next Friday, one sent on a Saturday the Friday after).
pub fn add_working_days(from: Date, days: u32) -> Date {
    let mut date = from;
    let mut left = days;
    while left > 0 {
        match date.next_day() {
            Some(next) => date = next,
            None => return date,
        }
        if is_working_day(date) {
            left -= 1;
        }
    }
    date
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn easter_matches_the_published_dates() {
        // Dates from the Paris observatory's tables.
        for (year, expected) in [
            (2000, date!(2000 - 04 - 23)),
            (2019, date!(2019 - 04 - 21)),
            (2024, date!(2024 - 03 - 31)),
            (2025, date!(2025 - 04 - 20)),
            (2026, date!(2026 - 04 - 05)),
            (2027, date!(2027 - 03 - 28)),
            (2038, date!(2038 - 04 - 25)),
            (2285, date!(2285 - 03 - 22)),
        ] {
            assert_eq!(easter(year), Some(expected), "{year}");
        }
    }

    #[test]
    fn the_eleven_holidays_of_2026() {
        let mut day = date!(2026 - 01 - 01);
        let mut holidays = Vec::new();
        while day.year() == 2026 {
            if is_holiday(day) {
                holidays.push(day);
            }
            day = day.next_day().unwrap_or(day);
        }
        assert_eq!(
            holidays,
            [
                date!(2026 - 01 - 01),
                date!(2026 - 04 - 06),
                date!(2026 - 05 - 01),
                date!(2026 - 05 - 08),
                date!(2026 - 05 - 14),
                date!(2026 - 05 - 25),
                date!(2026 - 07 - 14),
                date!(2026 - 08 - 15),
                date!(2026 - 11 - 01),
                date!(2026 - 11 - 11),
                date!(2026 - 12 - 25),
            ]
        );
    }

    #[test]
    fn working_days_skip_weekends_and_holidays() {
        // Friday 27 November 2026 + 5: Friday 4 December.
        assert_eq!(
            add_working_days(date!(2026 - 11 - 27), 5),
            date!(2026 - 12 - 04)
        );
        // Saturday and Sunday start like the Friday before.
        assert_eq!(
            add_working_days(date!(2026 - 11 - 28), 5),
            date!(2026 - 12 - 04)
        );
        assert_eq!(
            add_working_days(date!(2026 - 11 - 29), 5),
            date!(2026 - 12 - 04)
        );
        // Christmas week: 25 December is a Friday, 1 January a Friday.
        assert_eq!(
            add_working_days(date!(2026 - 12 - 22), 5),
            date!(2026 - 12 - 30)
        );
        assert_eq!(
            add_working_days(date!(2026 - 12 - 24), 5),
            date!(2027 - 01 - 04)
        );
        // Ascension and its bridge: Thursday 14 May 2026 is skipped, Friday 15 is worked.
        assert_eq!(
            add_working_days(date!(2026 - 05 - 12), 2),
            date!(2026 - 05 - 15)
        );
        // Whit Monday 25 May 2026.
        assert_eq!(
            add_working_days(date!(2026 - 05 - 22), 1),
            date!(2026 - 05 - 26)
        );
        assert_eq!(
            add_working_days(date!(2026 - 05 - 22), 0),
            date!(2026 - 05 - 22)
        );
    }
}
