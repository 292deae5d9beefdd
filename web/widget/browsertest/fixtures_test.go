package browsertest_test

// fixtureTask is a task the test seeds before the browser opens the board.
// Done and InTrash are reached through the store's own state changes.
type fixtureTask struct {
	Title   string   `json:"title"`
	Notes   string   `json:"notes,omitempty"`
	Done    bool     `json:"done,omitempty"`
	InTrash bool     `json:"in_trash,omitempty"`
	DueDate string   `json:"due_date,omitempty"`
	Prio    string   `json:"priority,omitempty"`
	Tags    []string `json:"tags,omitempty"`
}

// xssCorpus: titles and notes that would run script or inject elements if
// the board ever parsed data as HTML (I6). The test stores them through the
// create_task tool, as a model would, and the browser test asserts each is
// shown verbatim as text, no element is injected and nothing runs.
var xssCorpus = []fixtureTask{
	{Title: `<img src=x onerror="window.__xss=1">`, Notes: `<script>window.__xss=2</script>`},
	{Title: `<svg onload="window.__xss=3"></svg>`, Notes: `"><iframe srcdoc="<script>parent.__xss=4</script>">`},
	{Title: `"><script>window.__xss=5</script>`, Notes: `<a href="javascript:window.__xss=6">click</a>`},
	{Title: `<style>*{display:none}</style>`, Notes: `<object data="data:text/html,<script>top.__xss=7</script>"></object>`},
	{Title: `{{constructor.constructor('window.__xss=8')()}}`, Notes: "<math><mtext><table><mglyph><style><img src=x onerror=window.__xss=9>"},
	{Title: `<details open ontoggle="window.__xss=10">`, Prio: "high"},
}

// storeFixture is the part of the board seeded directly through the store.
func storeFixture() []fixtureTask {
	return []fixtureTask{
		{Title: "Buy milk", DueDate: "2026-12-24", Prio: "high"},
		{Title: "Call the plumber", Notes: "Kitchen sink leaks.\nAsk for Tuesday."},
		{Title: "Old idea"},
		{Title: "Water the plants", Done: true},
		{Title: "Throw away", InTrash: true},
	}
}

// boardFixture is the whole seeded board, as the browser test expects it.
func boardFixture() []fixtureTask { return append(storeFixture(), xssCorpus...) }
