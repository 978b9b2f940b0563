package docs_test

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/websocket"
)

// A headless Chromium driven over the Chrome DevTools Protocol: enough
// to load the docs site, click in it and read its DOM back.

// chromiumPath finds the browser. Where it is missing the browser tests
// skip, except in CI, which installs it (.ci/run) and must run them.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed; CI must run the browser tests (apt-get install chromium)")
	}
	t.Skip("chromium is not installed: skipping the browser test (apt-get install chromium)")
	return ""
}

type browser struct {
	port int
}

// startBrowser starts headless Chromium with a fresh profile and stops it
// (and the processes it started) when the test ends.
func startBrowser(t *testing.T) *browser {
	t.Helper()
	path := chromiumPath(t)
	profile := t.TempDir()
	cmd := exec.Command(path, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--user-data-dir="+profile, "--remote-debugging-port=0",
		// the websocket client sends an Origin, which Chromium checks
		"--remote-allow-origins=http://127.0.0.1",
		"--no-first-run", "--hide-scrollbars", "--window-size=1440,1000", "about:blank")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // its own process group only
		cmd.Wait()
	})
	// Chromium writes the port it picked into the profile folder.
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, err := os.ReadFile(filepath.Join(profile, "DevToolsActivePort"))
		if err == nil {
			line, _, _ := strings.Cut(string(b), "\n")
			if port, err := strconv.Atoi(strings.TrimSpace(line)); err == nil && port > 0 {
				return &browser{port: port}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("chromium did not open its DevTools port in 30 s:\n%s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// page connects to the browser's first page target.
func (b *browser) page(t *testing.T) *cdp {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/json/list", b.port))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var targets []struct {
		Type string `json:"type"`
		WS   string `json:"webSocketDebuggerUrl"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&targets); err != nil {
		t.Fatal(err)
	}
	for _, tg := range targets {
		if tg.Type == "page" && tg.WS != "" {
			ws, err := websocket.Dial(tg.WS, "", "http://127.0.0.1")
			if err != nil {
				t.Fatalf("connecting to %s: %v", tg.WS, err)
			}
			c := &cdp{t: t, ws: ws, pending: map[int]chan cdpReply{}}
			go c.read()
			t.Cleanup(func() { ws.Close() })
			c.call("Page.enable", nil, nil)
			c.call("Runtime.enable", nil, nil)
			return c
		}
	}
	t.Fatalf("no page target among %+v", targets)
	return nil
}

type cdpReply struct {
	ID     int             `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Message string `json:"message"`
	} `json:"error"`
}

// cdp is one page's DevTools connection.
type cdp struct {
	t       *testing.T
	ws      *websocket.Conn
	mu      sync.Mutex
	next    int
	pending map[int]chan cdpReply
	// problems are the page's uncaught exceptions and console errors.
	problems []string
}

func (c *cdp) read() {
	for {
		var msg cdpReply
		if err := websocket.JSON.Receive(c.ws, &msg); err != nil {
			c.mu.Lock()
			for id, ch := range c.pending {
				close(ch)
				delete(c.pending, id)
			}
			c.mu.Unlock()
			return
		}
		if msg.ID == 0 {
			c.event(msg)
			continue
		}
		c.mu.Lock()
		ch := c.pending[msg.ID]
		delete(c.pending, msg.ID)
		c.mu.Unlock()
		if ch != nil {
			ch <- msg
		}
	}
}

func (c *cdp) event(msg cdpReply) {
	switch msg.Method {
	case "Runtime.exceptionThrown":
		var p struct {
			Details struct {
				Text      string `json:"text"`
				Exception struct {
					Description string `json:"description"`
				} `json:"exception"`
			} `json:"exceptionDetails"`
		}
		json.Unmarshal(msg.Params, &p)
		c.mu.Lock()
		c.problems = append(c.problems, p.Details.Text+" "+p.Details.Exception.Description)
		c.mu.Unlock()
	case "Runtime.consoleAPICalled":
		var p struct {
			Type string            `json:"type"`
			Args []json.RawMessage `json:"args"`
		}
		json.Unmarshal(msg.Params, &p)
		if p.Type == "error" {
			c.mu.Lock()
			c.problems = append(c.problems, fmt.Sprintf("console.error %s", p.Args))
			c.mu.Unlock()
		}
	}
}

// call sends one command and decodes its result into out (when not nil).
func (c *cdp) call(method string, params any, out any) {
	c.t.Helper()
	if err := c.try(method, params, out); err != nil {
		c.t.Fatal(err)
	}
}

func (c *cdp) try(method string, params any, out any) error {
	c.mu.Lock()
	c.next++
	id := c.next
	ch := make(chan cdpReply, 1)
	c.pending[id] = ch
	c.mu.Unlock()
	if params == nil {
		params = map[string]any{}
	}
	if err := websocket.JSON.Send(c.ws, map[string]any{"id": id, "method": method, "params": params}); err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	select {
	case r, ok := <-ch:
		if !ok {
			return fmt.Errorf("%s: the browser closed the connection", method)
		}
		if r.Error != nil {
			return fmt.Errorf("%s: %s", method, r.Error.Message)
		}
		if out != nil {
			return json.Unmarshal(r.Result, out)
		}
		return nil
	case <-time.After(60 * time.Second):
		return fmt.Errorf("%s: no answer in 60 s", method)
	}
}

// eval runs a JavaScript expression in the page (awaiting a promise) and
// decodes its value into out.
func (c *cdp) eval(expr string, out any) {
	c.t.Helper()
	if err := c.tryEval(expr, out); err != nil {
		c.t.Fatal(err)
	}
}

func (c *cdp) tryEval(expr string, out any) error {
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		Exception *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	if err := c.try("Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true}, &r); err != nil {
		return err
	}
	if r.Exception != nil {
		return fmt.Errorf("evaluating %s: %s %s", expr, r.Exception.Text, r.Exception.Exception.Description)
	}
	if out != nil && len(r.Result.Value) > 0 {
		return json.Unmarshal(r.Result.Value, out)
	}
	return nil
}

// waitFor polls a boolean expression until it holds.
func (c *cdp) waitFor(what, expr string, timeout time.Duration) {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var ok bool
		err := c.tryEval("Boolean("+expr+")", &ok)
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			var body string
			c.tryEval("document.body ? document.body.innerText.slice(0, 2000) : ''", &body)
			c.t.Fatalf("waiting %s for %s (%s): err %v; page problems %q; page text:\n%s", timeout, what, expr, err, c.problems, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// navigate loads url and waits for the docs app to have started.
func (c *cdp) navigate(url string) {
	c.t.Helper()
	c.call("Page.navigate", map[string]any{"url": url}, nil)
	c.waitFor("the page to start", "document.readyState === 'complete' && document.body && document.body.dataset.ready === 'true' && location.href === "+strconv.Quote(url), 30*time.Second)
}

// viewport sets the page's size, as a screen of that size would.
func (c *cdp) viewport(w, h int) {
	c.t.Helper()
	c.call("Emulation.setDeviceMetricsOverride", map[string]any{"width": w, "height": h, "deviceScaleFactor": 1, "mobile": false}, nil)
}

// click presses the mouse in the middle of the first element matching
// selector, after scrolling it into view: a real click, not a synthetic
// event, so what covers the element would take it.
func (c *cdp) click(selector string) {
	c.t.Helper()
	c.waitFor("an element "+selector, "document.querySelector("+strconv.Quote(selector)+")", 10*time.Second)
	var box struct{ X, Y, W, H float64 }
	c.eval(`(() => { const e = document.querySelector(`+strconv.Quote(selector)+`);
		e.scrollIntoView({block: 'center', inline: 'center'});
		const r = e.getBoundingClientRect(); return {x: r.x, y: r.y, w: r.width, h: r.height}; })()`, &box)
	if box.W == 0 || box.H == 0 {
		c.t.Fatalf("%s has no size on the page", selector)
	}
	x, y := box.X+box.W/2, box.Y+box.H/2
	var hit bool
	c.eval(fmt.Sprintf(`(() => { const e = document.elementFromPoint(%f, %f), want = document.querySelector(%s); return !!e && (e === want || want.contains(e)); })()`, x, y, strconv.Quote(selector)), &hit)
	if !hit {
		c.t.Fatalf("the middle of %s is covered by another element", selector)
	}
	for _, typ := range []string{"mouseMoved", "mousePressed", "mouseReleased"} {
		c.call("Input.dispatchMouseEvent", map[string]any{"type": typ, "x": x, "y": y, "button": "left", "clickCount": 1}, nil)
	}
}

// typeText focuses selector and types text into it.
func (c *cdp) typeText(selector, text string) {
	c.t.Helper()
	c.click(selector)
	c.call("Input.insertText", map[string]any{"text": text}, nil)
}

// screenshot returns a PNG of the viewport.
func (c *cdp) screenshot() []byte {
	c.t.Helper()
	var r struct {
		Data string `json:"data"`
	}
	c.call("Page.captureScreenshot", map[string]any{"format": "png"}, &r)
	b, err := base64.StdEncoding.DecodeString(r.Data)
	if err != nil {
		c.t.Fatal(err)
	}
	return b
}

// noProblems fails the test if the page threw or logged an error.
func (c *cdp) noProblems() {
	c.t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.problems) > 0 {
		c.t.Fatalf("the page reported errors:\n%s", strings.Join(c.problems, "\n"))
	}
}

// strings returns the values of a JavaScript expression giving a list of
// strings.
func (c *cdp) strings(expr string) []string {
	c.t.Helper()
	var out []string
	c.eval(expr, &out)
	return out
}

// readURL reads the first line of r, the URL ingot docs serve prints.
func readURL(t *testing.T, sc *bufio.Scanner) string {
	t.Helper()
	if !sc.Scan() {
		t.Fatalf("docs serve printed nothing: %v", sc.Err())
	}
	line := sc.Text()
	i := strings.Index(line, "http://127.0.0.1:")
	if i < 0 {
		t.Fatalf("docs serve printed %q, want a URL on 127.0.0.1", line)
	}
	return strings.Fields(line[i:])[0]
}
