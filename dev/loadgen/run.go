package loadgen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// Limits every run obeys whatever the options say.
const (
	MaxDuration = 10 * time.Minute
	MaxCallsCap = 10_000_000
	MaxClients  = 1024
)

// Mix weighs the tools a client calls. The default is the mix:
// 70% reads (list/get), 25% writes (create/update/complete), 5% search.
type Mix struct {
	List, Get, Create, Update, Complete, Search int
}

// DefaultMix is 35/35 list/get, 10/8/7 create/update/complete, 5 search.
func DefaultMix() Mix { return Mix{List: 35, Get: 35, Create: 10, Update: 8, Complete: 7, Search: 5} }

func (m Mix) total() int { return m.List + m.Get + m.Create + m.Update + m.Complete + m.Search }

func (m Mix) pick(n int) string {
	for _, w := range []struct {
		tool   string
		weight int
	}{{"list_tasks", m.List}, {"get_task", m.Get}, {"create_task", m.Create}, {"update_task", m.Update}, {"complete_task", m.Complete}, {"search", m.Search}} {
		if n < w.weight {
			return w.tool
		}
		n -= w.weight
	}
	return "list_tasks"
}

// Options configure a run.
type Options struct {
	URL      string   // the MCP endpoint, e.g. http://127.0.0.1:8080/mcp
	Tokens   []string // bearer tokens, one per simulated user; client i uses Tokens[i%len]
	Clients  int      // concurrent clients (default 16)
	Duration time.Duration
	MaxCalls int     // stop after this many calls (default and cap MaxCallsCap)
	Rate     float64 // calls per second in total; 0 runs closed loop (each client back to back)
	Mix      Mix     // zero value means DefaultMix
	Seed     uint64
	// HTTPClient defaults to one with a transport sized for Clients.
	HTTPClient *http.Client
	// OnCall sees every call as it completes (from many goroutines).
	OnCall func(CallRecord)
	// AllowRemote permits a URL that is not a loopback address.
	AllowRemote bool
	// Protocol is the MCP version the clients speak (Caller.Protocol).
	Protocol string
}

// CallRecord is one completed call.
type CallRecord struct {
	Client  int
	Tool    string
	Err     error
	Latency time.Duration
	// TaskID and Title are set for a successful create_task: an
	// acknowledged write the fault tests look for afterwards.
	TaskID, Title string
}

// Run drives the load until Duration passes, MaxCalls calls completed or
// ctx ends, and returns the report.
func Run(ctx context.Context, o Options) (*Report, error) {
	if err := o.normalise(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()

	var (
		started  = time.Now()
		budget   atomic.Int64
		wg       sync.WaitGroup
		workers  = make([]*worker, o.Clients)
		tickets  chan time.Time
		behindCt atomic.Int64
	)
	budget.Store(int64(o.MaxCalls))
	if o.Rate > 0 {
		tickets = make(chan time.Time, o.Clients)
		go schedule(ctx, o.Rate, tickets, &behindCt)
	}
	for i := range workers {
		w := &worker{
			id: i, mix: o.Mix, onCall: o.OnCall,
			caller: &Caller{URL: o.URL, Token: o.Tokens[i%len(o.Tokens)], Client: o.HTTPClient, Protocol: o.Protocol},
			rng:    rand.New(rand.NewPCG(o.Seed, uint64(i))), // #nosec G404 -- picks which tool to call next; nothing secret

			byTool: map[string]int{}, byKind: map[string]int{},
		}
		workers[i] = w
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.loop(ctx, &budget, tickets)
		}()
	}
	wg.Wait()
	rep := &Report{Elapsed: time.Since(started), Rate: o.Rate, Clients: o.Clients,
		ByKind: map[string]int{}, ByTool: map[string]int{}, Behind: int(behindCt.Load())}
	for _, w := range workers {
		rep.Calls += w.calls
		rep.Errors += w.errors
		rep.latencies = append(rep.latencies, w.latencies...)
		for k, v := range w.byKind {
			rep.ByKind[k] += v
		}
		for k, v := range w.byTool {
			rep.ByTool[k] += v
		}
	}
	rep.summarise()
	return rep, nil
}

func (o *Options) normalise() error {
	if o.URL == "" || len(o.Tokens) == 0 {
		return errors.New("loadgen: a URL and at least one token are needed")
	}
	if _, err := CheckTarget(o.URL, o.AllowRemote); err != nil {
		return fmt.Errorf("loadgen: %w", err)
	}
	if o.Clients <= 0 {
		o.Clients = 16
	}
	if o.Clients > MaxClients {
		return fmt.Errorf("loadgen: at most %d clients", MaxClients)
	}
	if o.Duration <= 0 || o.Duration > MaxDuration {
		return fmt.Errorf("loadgen: the duration must be between 0 and %s", MaxDuration)
	}
	if o.MaxCalls <= 0 || o.MaxCalls > MaxCallsCap {
		o.MaxCalls = MaxCallsCap
	}
	if o.Rate < 0 {
		return errors.New("loadgen: the rate must not be negative")
	}
	if o.Mix.total() == 0 {
		o.Mix = DefaultMix()
	}
	if o.HTTPClient == nil {
		o.HTTPClient = NewHTTPClient(o.Clients)
	}
	return nil
}

// schedule emits the intended start time of each call at rate per second
// (open loop). When every client is busy the ticket waits in the channel,
// and its latency, measured from the intended start, includes that wait:
// a slow server cannot hide behind a slowed-down client (coordinated
// omission).
func schedule(ctx context.Context, rate float64, tickets chan<- time.Time, behind *atomic.Int64) {
	defer close(tickets)
	interval := time.Duration(float64(time.Second) / rate)
	next := time.Now()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		now := time.Now()
		for !next.After(now) {
			select {
			case tickets <- next:
			default:
				behind.Add(1)
				select {
				case tickets <- next:
				case <-ctx.Done():
					return
				}
			}
			next = next.Add(interval)
		}
		timer.Reset(time.Until(next))
	}
}

// worker is one simulated client: it remembers the ids of tasks it has
// seen so gets and updates address real tasks of its own user.
type worker struct {
	id        int
	mix       Mix
	caller    *Caller
	rng       *rand.Rand
	onCall    func(CallRecord)
	ids       []string
	created   int
	calls     int
	errors    int
	latencies []time.Duration
	byTool    map[string]int
	byKind    map[string]int
}

const maxKnownIDs = 256

func (w *worker) loop(ctx context.Context, budget *atomic.Int64, tickets <-chan time.Time) {
	for ctx.Err() == nil {
		start := time.Now()
		if tickets != nil {
			var ok bool
			if start, ok = <-tickets; !ok {
				return
			}
		}
		if budget.Add(-1) < 0 {
			return
		}
		w.one(ctx, start)
	}
}

func (w *worker) one(ctx context.Context, start time.Time) {
	tool := w.mix.pick(w.rng.IntN(w.mix.total()))
	if len(w.ids) == 0 && (tool == "get_task" || tool == "update_task" || tool == "complete_task") {
		tool = "list_tasks"
	}
	var args map[string]any
	title := ""
	switch tool {
	case "list_tasks":
		args = map[string]any{"limit": 25}
	case "get_task":
		args = map[string]any{"id": w.anyID()}
	case "create_task":
		w.created++
		title = fmt.Sprintf("bench task c%d n%d", w.id, w.created)
		args = map[string]any{"title": title, "tags": []string{"bench"}, "notes": "written by taskbridge bench"}
	case "update_task":
		args = map[string]any{"id": w.anyID(), "priority": [...]string{"low", "normal", "high"}[w.rng.IntN(3)]}
	case "complete_task":
		args = map[string]any{"id": w.anyID()}
	case "search":
		args = map[string]any{"query": "bench"}
	}
	out, err := w.caller.CallRaw(ctx, tool, args)
	if err != nil && ctx.Err() != nil {
		return // the run ended while this call was in flight: not a server error
	}
	lat := time.Since(start)
	w.calls++
	w.byTool[tool]++
	w.latencies = append(w.latencies, lat)
	rec := CallRecord{Client: w.id, Tool: tool, Err: err, Latency: lat}
	if err != nil {
		w.errors++
		w.byKind[Kind(err)]++
	} else {
		w.learn(tool, out, &rec, title)
	}
	if w.onCall != nil {
		w.onCall(rec)
	}
}

func (w *worker) anyID() string { return w.ids[w.rng.IntN(len(w.ids))] }

var (
	structuredKey = []byte(`"structuredContent":`)
	idKey         = []byte(`"id":"`)
)

// learn remembers task ids from a response body without decoding it (a
// list answer is tens of KiB): every `"id":"<uuid>"` after the
// structuredContent key is a task id. The JSON-RPC id is a number, and
// quotes inside user text are escaped, so nothing else matches. (The
// widget's board may repeat an id; a duplicate only weighs that task more.)
func (w *worker) learn(tool string, body []byte, rec *CallRecord, title string) {
	if tool != "list_tasks" && tool != "create_task" {
		return
	}
	at := bytes.Index(body, structuredKey)
	if at < 0 {
		return
	}
	rest := body[at:]
	for {
		i := bytes.Index(rest, idKey)
		if i < 0 || len(rest) < i+len(idKey)+36 {
			return
		}
		id := string(rest[i+len(idKey) : i+len(idKey)+36])
		rest = rest[i+len(idKey)+36:]
		if _, err := uuid.Parse(id); err != nil {
			continue
		}
		w.remember(id)
		if tool == "create_task" {
			rec.TaskID, rec.Title = id, title
			return
		}
	}
}

func (w *worker) remember(id string) {
	if id == "" {
		return
	}
	if len(w.ids) < maxKnownIDs {
		w.ids = append(w.ids, id)
		return
	}
	w.ids[w.rng.IntN(len(w.ids))] = id
}
