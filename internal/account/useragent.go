package account

import "strings"

// uaLabel names a browser or OS when any of its markers is in a User-Agent.
type uaLabel struct {
	markers []string
	name    string
}

// summarizeUserAgent reduces a User-Agent header to "Browser on OS" so a
// user can tell sessions apart; the full string is a fingerprint and is
// never stored.
func summarizeUserAgent(ua string) string {
	// Order matters: Edge and Opera also claim Chrome, Chrome also claims Safari.
	browsers := []uaLabel{
		{[]string{"Edg/", "Edge/"}, "Edge"}, {[]string{"OPR/", "Opera"}, "Opera"},
		{[]string{"Firefox/", "FxiOS/"}, "Firefox"}, {[]string{"Chrome/", "CriOS/"}, "Chrome"},
		{[]string{"Safari/"}, "Safari"}, {[]string{"curl/"}, "curl"},
	}
	systems := []uaLabel{
		{[]string{"Android"}, "Android"}, {[]string{"iPhone", "iPad"}, "iOS"},
		{[]string{"Windows"}, "Windows"}, {[]string{"Mac OS X", "Macintosh"}, "macOS"},
		{[]string{"Linux", "X11"}, "Linux"},
	}
	browser, os := firstLabel(ua, browsers), firstLabel(ua, systems)
	switch {
	case browser == "" && os == "":
		return "Unknown browser"
	case os == "":
		return browser
	case browser == "":
		return "Browser on " + os
	}
	return browser + " on " + os
}

func firstLabel(ua string, labels []uaLabel) string {
	for _, l := range labels {
		for _, m := range l.markers {
			if strings.Contains(ua, m) {
				return l.name
			}
		}
	}
	return ""
}
