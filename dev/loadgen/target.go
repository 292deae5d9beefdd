package loadgen

import (
	"errors"
	"fmt"
	"net"
	"net/url"
)

// ErrRemoteTarget refuses a non-loopback target without explicit consent:
// a load test is never pointed at somebody else's server by accident.
var ErrRemoteTarget = errors.New("the target is not a loopback address")

// CheckTarget parses rawURL and returns an error unless its host is a
// loopback address (127.0.0.0/8, ::1 or "localhost") or allowRemote is set.
func CheckTarget(rawURL string, allowRemote bool) (*url.URL, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("target %q: want an http(s) URL", rawURL)
	}
	if allowRemote {
		return u, nil
	}
	host := u.Hostname()
	if host == "localhost" {
		return u, nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("%w: %s (pass --allow-remote to load a server you operate elsewhere)", ErrRemoteTarget, host)
	}
	return u, nil
}
