package gateway

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wampgate/wampgate/internal/nginxtest"
	"github.com/wampgate/wampgate/internal/wstest"
)

// requireChromiumEnv turns a missing Chromium from a skip into a failure
// (.ci/run sets it).
const requireChromiumEnv = "WAMPGATE_REQUIRE_CHROMIUM"

// screenshotEnv, when set, is where TestStatusPageInChromium saves a
// screenshot of the page (the README's docs/status.png).
const screenshotEnv = "WAMPGATE_STATUS_SCREENSHOT"

// chromiumBinary returns Debian's chromium, or skips (fails under
// WAMPGATE_REQUIRE_CHROMIUM=1).
func chromiumBinary(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv(requireChromiumEnv) == "1" {
		t.Fatalf("chromium not installed (%s=1): apt-get install -y chromium", requireChromiumEnv)
	}
	t.Skip("chromium not installed: apt-get install -y chromium")
	return ""
}

// chromium runs headless Chromium on url with extra arguments, letting
// the page's scripts run for 5 s of virtual time (its fetches included),
// and returns its standard output.
func chromium(t testing.TB, url string, extra ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	args := append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
		"--user-data-dir=" + t.TempDir(), "--virtual-time-budget=5000",
	}, extra...)
	cmd := exec.CommandContext(ctx, chromiumBinary(t), append(args, url)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its helpers go with it
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %s: %v\n%s", url, err, errOut.String())
	}
	return out.String()
}

// requireClusterPage checks the DOM of the status page of a node of a
// three-node cluster after its script ran: accepted is how many of its
// links the peers opened. Client connections are the three subscribers,
// perhaps the refused client, and the page's own request (and nginx's),
// never the peer links.
func requireClusterPage(t *testing.T, dom string, peers []string, topic string, accepted int) {
	t.Helper()
	m := regexp.MustCompile(`<b id="client-connections">(\d+)</b>`).FindStringSubmatch(dom)
	if m == nil {
		t.Errorf("the page shows no client connections:\n%s", dom)
	} else if n, _ := strconv.Atoi(m[1]); n < 3 || n > 6 {
		t.Errorf("the page shows %d client connections, want 3 to 6:\n%s", n, dom)
	}
	for _, want := range append([]string{
		`data-state="loaded"`, `data-links-up="2"`, `<b id="links-up">2 / 2</b>`, topic,
		`<td>refused</td>`, `<td>subprotocol</td>`, fmt.Sprintf(`<b id="peer-connections">%d</b>`, accepted),
	}, peers...) {
		if !strings.Contains(dom, want) {
			t.Errorf("the page lacks %q:\n%s", want, dom)
		}
	}
	if got := strings.Count(dom, `class="link link-up"`); got != 2 {
		t.Errorf("%d peer links shown up, want 2:\n%s", got, dom)
	}
}

// TestStatusPageInChromium loads /status of a node of a three-node
// cluster in headless Chromium, directly and through nginx under a path
// prefix, and checks that its script ran and shows both links up, the
// subscribed topic and the refused handshake.
func TestStatusPageInChromium(t *testing.T) {
	chromiumBinary(t)
	pool := freeAddrs(t, 3)
	slices.Sort(pool)
	slices.Reverse(pool) // the node of the page accepts both its links (the lower address dials)
	nodes := startCluster(t, pool)
	const topic = "com.example.status.prices"
	for range 3 {
		dialWAMP(t, nodes[0].Addr()).subscribe(topic)
	}
	c, err := wstest.Dial(nodes[0].Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if resp, err := c.Handshake(wstest.UpgradeRequest(nodes[0].Addr(), "mqtt").Bytes(), waitLong); err != nil || resp.StatusCode != 426 {
		t.Fatalf("handshake offering mqtt: %+v %v", resp, err)
	}
	peers := []string{pool[1], pool[2]}
	const accepted = 2 // node 0's address sorts last: both peers dial it

	t.Run("direct", func(t *testing.T) {
		requireClusterPage(t, chromium(t, "http://"+nodes[0].Addr()+PathStatus, "--dump-dom"), peers, topic, accepted)
	})
	t.Run("nginx prefix", func(t *testing.T) {
		front := nginxtest.StartConfig(t, func(listen string) ([]byte, error) {
			return fmt.Appendf(nil, `pid nginx.pid;
error_log error.log warn;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path client_body_temp;
    proxy_temp_path proxy_temp;
    fastcgi_temp_path fastcgi_temp;
    uwsgi_temp_path uwsgi_temp;
    scgi_temp_path scgi_temp;
    server {
        listen %s;
        location /ops/node-a/ { proxy_pass http://%s/; }
    }
}
`, listen, nodes[0].Addr()), nil
		})
		requireClusterPage(t, chromium(t, "http://"+front+"/ops/node-a"+PathStatus, "--dump-dom"), peers, topic, accepted)
	})
	if path := os.Getenv(screenshotEnv); path != "" {
		chromium(t, "http://"+nodes[0].Addr()+PathStatus, "--screenshot="+path, "--window-size=1100,820", "--hide-scrollbars")
		if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
			t.Errorf("no screenshot at %s: %v", path, err)
		}
	}
}
