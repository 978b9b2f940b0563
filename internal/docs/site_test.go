package docs

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

func sortStrings(s []string) { sort.Strings(s) }

func TestWrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "docs")
	s := &Site{Project: `a<b>&"c"`, Nodes: []Node{{ID: "model.x.y", Name: "y", Type: "model",
		Description: "ends </script><script>alert(1)</script> here\u2028and on"}}}
	if err := Write(dir, s); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(page, []byte("<title>a&lt;b&gt;&amp;&#34;c&#34; · ingot docs</title>")) {
		t.Errorf("title not escaped:\n%s", page)
	}
	// Everything the page loads is relative and local: no CDN, works
	// from file://.
	for _, ref := range []string{`src="data.js"`, `src="assets/app.js"`, `href="assets/app.css"`} {
		if !bytes.Contains(page, []byte(ref)) {
			t.Errorf("index.html lacks %s", ref)
		}
	}
	for _, name := range []string{"index.html", "assets/app.js", "assets/app.css"} {
		b, _ := os.ReadFile(filepath.Join(dir, name))
		b = bytes.ReplaceAll(b, []byte("http://www.w3.org/2000/svg"), nil) // a namespace name, never fetched
		if bytes.Contains(b, []byte("http://")) || bytes.Contains(b, []byte("https://")) || bytes.Contains(b, []byte("//cdn")) {
			t.Errorf("%s refers to the network", name)
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, DataFile))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte("</script>")) || bytes.Contains(data, []byte("\u2028")) {
		t.Errorf("data.js carries text that ends a script early:\n%s", data)
	}
	_, obj, ok := strings.Cut(string(data), "window.INGOT_DOCS = ")
	if !ok || !strings.HasSuffix(obj, ";\n") {
		t.Fatalf("data.js = %q", data)
	}
	var back Site
	if err := json.Unmarshal([]byte(strings.TrimSuffix(obj, ";\n")), &back); err != nil {
		t.Fatal(err)
	}
	if back.Nodes[0].Description != s.Nodes[0].Description {
		t.Errorf("description = %q", back.Nodes[0].Description)
	}
	// no temporary files left behind
	files, _ := filepath.Glob(filepath.Join(dir, "*.tmp"))
	if len(files) > 0 {
		t.Errorf("left %v", files)
	}
}

func TestServe(t *testing.T) {
	dir := t.TempDir()
	if err := Write(dir, &Site{Project: "p"}); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln, dir) }()
	base := "http://" + ln.Addr().String()
	for _, tc := range []struct{ path, want string }{
		{"/", "<title>p · ingot docs</title>"},
		{"/data.js", "window.INGOT_DOCS"},
		{"/assets/app.js", "INGOT_DOCS"},
	} {
		resp, err := http.Get(base + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), tc.want) {
			t.Errorf("GET %s = %d, want %q in the body", tc.path, resp.StatusCode, tc.want)
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("GET %s Cache-Control = %q", tc.path, cc)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve = %v after cancel, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not stop when its context was cancelled")
	}
	if _, err := http.Get(base + "/"); err == nil {
		t.Error("still serving after Serve returned")
	}
}
