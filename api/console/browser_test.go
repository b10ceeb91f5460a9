package console_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/shophub/shophub/cmd/shophub/app"
	"github.com/shophub/shophub/hub"
)

// The console's browser tests drive Debian's headless Chromium through
// chromedp against `shophub dev`'s landscape (five emulated systems). They
// log in, search, read the 360° view, replay a dead letter, erase a
// person, and check that a wrong login and an action without its CSRF
// token are refused. Every page is photographed at 1280 px and at a
// phone's 390 px into $SHOPHUB_SCREENSHOTS (default: the test's temp dir).

// chromium finds the browser: $SHOPHUB_CHROMIUM, else Debian's. In CI
// (CI=true) a missing browser fails the test; elsewhere it skips, saying
// how to install it.
func chromium(t *testing.T) string {
	t.Helper()
	path := os.Getenv("SHOPHUB_CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := os.Stat(path); err == nil {
		return path
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	msg := fmt.Sprintf("no Chromium at %s: the console's browser tests need it (apt-get install -y chromium, or set SHOPHUB_CHROMIUM)", path)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

type browser struct {
	t    *testing.T
	ctx  context.Context
	base string
	dir  string
}

func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelC(); cancelA() })
	dir := os.Getenv("SHOPHUB_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join(t.TempDir(), "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("start chromium: %v", err)
	}
	return &browser{t: t, ctx: ctx, base: base, dir: dir}
}

// run runs steps, each limited to a minute: a page that never shows
// what is awaited fails the test instead of hanging it.
func (b *browser) run(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

func get[T any](b *browser, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	return v
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	return get(b, "read "+sel, chromedp.Text(chromedp.CSS(sel)))
}

// textNow reads sel's text without failing ("" when it is not there).
func (b *browser) textNow(sel string) string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	s, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	return s
}

// shoot photographs the current page whole at 1280 px and at 390 px.
func (b *browser) shoot(name string) {
	b.t.Helper()
	for _, w := range []struct {
		suffix        string
		width, height int64
		mobile        bool
	}{{"1280", 1280, 900, false}, {"phone", 390, 844, true}} {
		opts := []chromedp.EmulateViewportOption{}
		if w.mobile {
			opts = append(opts, chromedp.EmulateMobile)
		}
		b.run("viewport "+name, chromedp.EmulateViewport(w.width, w.height, opts...))
		png := get(b, "screenshot "+name, chromedp.FullScreenshot(100))
		// Overflow check: nothing reaches past the screen's width (a
		// phone's layout viewport grows to the content, so innerWidth
		// would not tell). The deepest offenders are named.
		wide := get(b, "measure "+name, chromedp.Evaluate[[]string](fmt.Sprintf(`(() => {
			const w = %d, out = [];
			if (document.documentElement.scrollWidth <= w + 1) return out;
			const clipped = el => {
				for (let p = el.parentElement; p; p = p.parentElement) {
					const o = getComputedStyle(p).overflowX;
					if ((o === "auto" || o === "scroll" || o === "hidden") && p.getBoundingClientRect().right <= w + 1) return true;
				}
				return false;
			};
			for (const el of document.querySelectorAll("body *")) {
				const r = el.getBoundingClientRect();
				if (r.right > w + 1 && !clipped(el) && ![...el.children].some(c => c.getBoundingClientRect().right > w + 1)) {
					out.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + "." + el.className + " → " + Math.round(r.right) + "px");
					if (out.length >= 5) break;
				}
			}
			return out.length ? out : ["(page " + document.documentElement.scrollWidth + "px)"];
		})()`, w.width)))
		if len(wide) > 0 {
			b.t.Errorf("%s at %s px: wider than the screen: %s", name, w.suffix, strings.Join(wide, "; "))
		}
		path := filepath.Join(b.dir, name+"-"+w.suffix+".png")
		if err := os.WriteFile(path, png, 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
	b.run("reset viewport", chromedp.EmulateViewport(1280, 900))
}

func eventually(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", d, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// startLandscape is `shophub dev` in the test: five emulated systems,
// seeded. It waits until the landscape's person is linked in all five.
func startLandscape(t *testing.T) (*app.Demo, uint64) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	d, err := app.StartDemo(context.Background(), app.DemoOptions{Dir: t.TempDir(), Seed: 4, Landscape: true, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	ctx := context.Background()
	var id uint64
	eventually(t, 60*time.Second, "the landscape's person never got linked in five systems", func() bool {
		c, err := d.Store.CustomerByEmail(ctx, app.LandscapeEmail())
		if err != nil || c == nil {
			return false
		}
		id = c.ID
		links, err := d.Store.Links(ctx, c.ID)
		seen := map[string]bool{}
		for _, l := range links {
			seen[l.Instance] = true
		}
		return err == nil && len(seen) >= 5
	})
	return d, id
}

func TestConsoleInBrowser(t *testing.T) {
	b := newBrowser(t, "") // Chromium starts while the landscape settles
	d, annaID := startLandscape(t)
	b.base = d.URL()

	t.Run("WrongLoginRefused", func(t *testing.T) {
		b.run("open the console",
			chromedp.Navigate(b.base+"/ui/"),
			chromedp.WaitVisible(chromedp.CSS("#token")),
		)
		b.shoot("login")
		b.run("log in wrong",
			chromedp.SendKeys(chromedp.CSS("#token"), "not-the-token"),
			chromedp.Submit(chromedp.CSS("#token")),
			chromedp.WaitVisible(chromedp.CSS(".error")),
		)
		if got := b.text(".error"); !strings.Contains(got, "Wrong admin token") {
			t.Errorf("wrong login says %q", got)
		}
		loc := get(b, "where", chromedp.Location())
		if !strings.Contains(loc, "/ui/login") {
			t.Errorf("after a wrong login the browser is at %s", loc)
		}
		b.shoot("login-refused")
	})

	t.Run("LoginAndSearch", func(t *testing.T) {
		b.run("log in",
			chromedp.Navigate(b.base+"/ui/login"),
			chromedp.WaitVisible(chromedp.CSS("#token")),
			chromedp.SendKeys(chromedp.CSS("#token"), "dev-token"),
			chromedp.Submit(chromedp.CSS("#token")),
			chromedp.WaitVisible(chromedp.CSS("input[name=q]")),
		)
		b.shoot("customers")
		b.run("search",
			chromedp.SendKeys(chromedp.CSS("input[name=q]"), "schmidt"),
			chromedp.Submit(chromedp.CSS("input[name=q]")),
			// The list before the search has #results too: wait for the
			// page that answers it (its field holds the query as sent),
			// or the read below may find the old page's node gone.
			chromedp.WaitVisible(chromedp.CSS(`input[name=q][value="schmidt"]`)),
			chromedp.WaitVisible(chromedp.CSS("#results")),
		)
		if got := b.text("#results"); !strings.Contains(got, app.LandscapeEmail()) {
			t.Errorf("search for schmidt shows %q", got)
		}
		b.shoot("customers-search")
	})

	t.Run("360View", func(t *testing.T) {
		b.run("open the person",
			chromedp.Click(chromedp.CSS(fmt.Sprintf(`a[href="/ui/customers/%d"]`, annaID))),
			chromedp.WaitVisible(chromedp.CSS("#profile")),
		)
		if got := b.text(`#profile tr[data-field="email"] .source`); strings.TrimSpace(got) == "" {
			t.Errorf("the email's source is empty")
		}
		if got := b.text("#systems"); got != "5" {
			t.Errorf("linked in %q systems, want 5", got)
		}
		links := b.text("#links")
		for _, sys := range []string{"shopify", "shopware", "magento", "helpscout", "odoo"} {
			if !strings.Contains(links, sys) {
				t.Errorf("touchpoints %q lack %s", links, sys)
			}
		}
		if got := b.text("#changes"); !strings.Contains(got, "shopify") {
			t.Errorf("change history %q names no source", got)
		}
		b.shoot("customer-360")
	})

	t.Run("Health", func(t *testing.T) {
		b.run("health", chromedp.Navigate(b.base+"/ui/health"), chromedp.WaitVisible(chromedp.CSS("#connector-shopify")))
		b.shoot("health")
		b.run("health day", chromedp.Navigate(b.base+"/ui/health?window=day"), chromedp.WaitVisible(chromedp.CSS("#connector-odoo")))
		b.shoot("health-day")
	})

	t.Run("ReplayDeadLetter", func(t *testing.T) {
		d.Shopware.FailNext(1000, http.StatusUnprocessableEntity)
		d.Shopify.CreateCustomer(app.DemoCustomer(7))
		eventually(t, 60*time.Second, "no dead letter for shopware", func() bool {
			dls, err := d.DeadLetters.List("shopware")
			return err == nil && len(dls) > 0
		})
		d.Shopware.FailNext(0, 0)
		b.run("dead letters", chromedp.Navigate(b.base+"/ui/deadletters"), chromedp.WaitVisible(chromedp.CSS("#deadletters")))
		b.shoot("deadletters")
		b.run("detail", chromedp.Click(chromedp.CSS("#deadletters tbody tr td[data-label=Task] a")),
			chromedp.WaitVisible(chromedp.CSS("pre.payload")))
		if p := b.text("pre.payload"); strings.Contains(p, "@example.com") {
			t.Errorf("the payload shows an email: %s", p)
		}
		b.shoot("deadletter")
		b.run("replay", chromedp.Click(chromedp.CSS("main form button[type=submit]")),
			chromedp.WaitVisible(chromedp.CSS("#replay-state")))
		eventually(t, 60*time.Second, "the replayed dead letter was never delivered", func() bool {
			s := b.textNow("#replay-state")
			if strings.Contains(s, "Failed") {
				t.Fatalf("replay failed: %s", s)
			}
			return strings.Contains(s, "Delivered")
		})
		b.shoot("replayed")
	})

	t.Run("ActionWithoutCSRFRefused", func(t *testing.T) {
		b.run("dead letters", chromedp.Navigate(b.base+"/ui/deadletters"), chromedp.WaitReady(chromedp.CSS("body")))
		for name, body := range map[string]string{
			"no token":    `new URLSearchParams({connector: ""})`,
			"wrong token": `new URLSearchParams({connector: "", csrf: "0123456789abcdef"})`,
		} {
			status := get(b, "post "+name, chromedp.Evaluate[int](`fetch("/ui/deadletters/replay", {method: "POST", body: `+body+`}).then(r => r.status)`,
				chromedp.EvalAwaitPromise))
			if status != http.StatusForbidden {
				t.Errorf("replay-all with %s: %d, want 403", name, status)
			}
		}
		// And straight, without the browser: a cookie-less POST is no login.
		resp, err := http.Post(b.base+"/ui/deadletters/replay", "application/x-www-form-urlencoded", strings.NewReader("connector="))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("replay-all without a session: %d, want 401", resp.StatusCode)
		}
	})

	t.Run("EraseAndAudit", func(t *testing.T) {
		ctx := context.Background()
		email := app.DemoCustomer(2)["email"].(string)
		var c *hub.Customer
		eventually(t, 30*time.Second, email+" never reached the hub", func() bool {
			c, _ = d.Store.CustomerByEmail(ctx, email)
			return c != nil
		})
		b.run("privacy", chromedp.Navigate(b.base+"/ui/privacy?person="+email), chromedp.WaitVisible(chromedp.CSS(".people")))
		b.shoot("privacy")
		id := strconv.FormatUint(c.ID, 10)
		b.run("erase",
			// The confirmation dialog says yes.
			chromedp.Evaluate[chromedp.Void](`window.confirm = () => true`),
			chromedp.SendKeys(chromedp.CSS(`.people input[name=confirm]`), id),
			chromedp.Click(chromedp.CSS(`.people button.danger`)),
			chromedp.WaitVisible(chromedp.CSS("#audit-status")),
		)
		eventually(t, 60*time.Second, "the erasure's touchpoint steps never finished", func() bool {
			s := b.textNow("#audit-status")
			return s != "" && s != hub.PrivacyPending
		})
		if steps := b.text("#steps"); !strings.Contains(steps, "shopify") {
			t.Errorf("the audit's steps %q name no touchpoint", steps)
		}
		b.shoot("privacy-audit")
		if got, _ := d.Store.CustomerByEmail(ctx, email); got != nil {
			t.Errorf("%s still in the hub after the erasure", email)
		}
	})
}
