package task

import (
	"fmt"
	"time"
)

// Date is a calendar day with no time zone, as a due date is.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate accepts exactly YYYY-MM-DD (ISO 8601 calendar date) in a sane
// range, so a model cannot smuggle times, zones or far-future values in.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil || t.Format(time.DateOnly) != s {
		return Date{}, fmt.Errorf("%q is not a date in YYYY-MM-DD form", s)
	}
	if t.Year() < 1970 || t.Year() > 9999 {
		return Date{}, fmt.Errorf("date %s is out of range (1970-01-01 to 9999-12-31)", s)
	}
	return DateOf(t), nil
}

// DateOf is the calendar day of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: y, Month: m, Day: d}
}

// Time is midnight UTC of the day.
func (d Date) Time() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }

func (d Date) String() string { return d.Time().Format(time.DateOnly) }

// Before reports whether d is an earlier day than e.
func (d Date) Before(e Date) bool { return d.Time().Before(e.Time()) }
