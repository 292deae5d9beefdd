package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Registry holds every metric of one process.
type Registry struct {
	reg *prometheus.Registry

	httpRequests     *prometheus.CounterVec
	httpDuration     *prometheus.HistogramVec
	toolCalls        *prometheus.CounterVec
	authFailures     *prometheus.CounterVec
	loginFailures    prometheus.Counter
	rateLimited      *prometheus.CounterVec
	injectionFlags   *prometheus.CounterVec
	retentionDeleted *prometheus.CounterVec
	tokenReuse       prometheus.Counter
	auditHead        prometheus.Gauge
	auditLag         prometheus.Gauge
	auditProblems    prometheus.Gauge
	auditVerified    prometheus.Gauge
}

// Names of the metrics, for alert rules and tests.
const (
	HTTPRequests     = "taskbridge_http_requests_total"
	HTTPDuration     = "taskbridge_http_request_duration_seconds"
	ToolCalls        = "taskbridge_tool_calls_total"
	AuthFailures     = "taskbridge_auth_failures_total"
	LoginFailures    = "taskbridge_login_failures_total"
	RateLimitHits    = "taskbridge_rate_limited_total"
	InjectionFlags   = "taskbridge_injection_flags_total"
	RetentionDeletes = "taskbridge_retention_deleted_total"
	TokenReuse       = "taskbridge_refresh_token_reuse_total" // #nosec G101 -- a metric name, not a credential
	AuditHeadSeq     = "taskbridge_audit_head_seq"
	AuditSealLag     = "taskbridge_audit_seal_lag_seconds"
	AuditProblems    = "taskbridge_audit_verify_problems"
	AuditVerified    = "taskbridge_audit_verified_timestamp_seconds"
)

// New returns a registry with every taskbridge metric plus the Go runtime
// and process collectors.
func New() *Registry {
	r := &Registry{reg: prometheus.NewRegistry()}
	r.httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: HTTPRequests,
		Help: "HTTP requests by route pattern, method and status class."}, []string{"route", "method", "code"})
	r.httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: HTTPDuration,
		Help:    "HTTP request latency by route pattern.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 15}}, []string{"route"})
	r.toolCalls = prometheus.NewCounterVec(prometheus.CounterOpts{Name: ToolCalls,
		Help: "MCP tool calls by tool and outcome."}, []string{"tool", "outcome"})
	r.authFailures = prometheus.NewCounterVec(prometheus.CounterOpts{Name: AuthFailures,
		Help: "Refused bearer tokens (reason malformed, unknown, expired, revoked, audience, wrong_kind) and requests refused by the token and revocation endpoints (reason token_ or revoke_ followed by the OAuth error code, e.g. token_invalid_grant, token_invalid_client)."}, []string{"reason"})
	r.loginFailures = prometheus.NewCounter(prometheus.CounterOpts{Name: LoginFailures,
		Help: "Failed password logins."})
	r.rateLimited = prometheus.NewCounterVec(prometheus.CounterOpts{Name: RateLimitHits,
		Help: "Requests refused by a rate limit, by route."}, []string{"route"})
	r.injectionFlags = prometheus.NewCounterVec(prometheus.CounterOpts{Name: InjectionFlags,
		Help: "User content flagged as a possible prompt injection, by pattern kind."}, []string{"kind"})
	r.retentionDeleted = prometheus.NewCounterVec(prometheus.CounterOpts{Name: RetentionDeletes,
		Help: "Rows removed by retention, by kind."}, []string{"kind"})
	r.tokenReuse = prometheus.NewCounter(prometheus.CounterOpts{Name: TokenReuse,
		Help: "Refresh-token reuse detections (each revoked a token family)."})
	r.auditHead = prometheus.NewGauge(prometheus.GaugeOpts{Name: AuditHeadSeq,
		Help: "Sequence number of the audit chain head. It only grows; a decrease means the trail was cut."})
	r.auditLag = prometheus.NewGauge(prometheus.GaugeOpts{Name: AuditSealLag,
		Help: "Age in seconds of the oldest committed audit event not yet sealed, counted from the last chain head that verifies."})
	r.auditProblems = prometheus.NewGauge(prometheus.GaugeOpts{Name: AuditProblems,
		Help: "Problems the scheduled audit verify found in its current or last complete sweep of the chain; 0 only after a whole sweep found none."})
	r.auditVerified = prometheus.NewGauge(prometheus.GaugeOpts{Name: AuditVerified,
		Help: "Unix time at which the scheduled audit verify last completed a sweep of the whole chain without a problem; 0 before the first."})
	r.reg.MustRegister(r.httpRequests, r.httpDuration, r.toolCalls, r.authFailures, r.loginFailures,
		r.rateLimited, r.injectionFlags, r.retentionDeleted, r.tokenReuse, r.auditHead, r.auditLag,
		r.auditProblems, r.auditVerified,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return r
}

// Handler serves the metrics in the Prometheus exposition format.
func (r *Registry) Handler() http.Handler {
	return promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{})
}

func (r *Registry) ToolCall(tool, outcome string) {
	r.toolCalls.WithLabelValues(label(tool), label(outcome)).Inc()
}

func (r *Registry) AuthFailure(reason string) { r.authFailures.WithLabelValues(label(reason)).Inc() }

func (r *Registry) LoginFailed() { r.loginFailures.Inc() }

func (r *Registry) RateLimited(route string) { r.rateLimited.WithLabelValues(label(route)).Inc() }

func (r *Registry) InjectionFlag(kind string) { r.injectionFlags.WithLabelValues(label(kind)).Inc() }

func (r *Registry) RetentionDeleted(kind string, n int) {
	if n > 0 {
		r.retentionDeleted.WithLabelValues(label(kind)).Add(float64(n))
	}
}

func (r *Registry) RefreshTokenReuse() { r.tokenReuse.Inc() }

func (r *Registry) AuditSealed(headSeq int64, lag time.Duration) {
	r.auditHead.Set(float64(headSeq))
	r.auditLag.Set(lag.Seconds())
}

func (r *Registry) AuditVerifyProblems(n int) { r.auditProblems.Set(float64(n)) }

func (r *Registry) AuditChainVerified(at time.Time) { r.auditVerified.Set(float64(at.Unix())) }
